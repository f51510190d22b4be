"""Labels decode back (zxing-cpp) to exactly the ID and the URI: PNG, SVG and the PDF sheet."""

import io
import re

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from core.errors import Invalid
from passport import labels

ID = "HL-2026-000123"
URI = "https://huanlian.example/lot/HL-2026-000123"


def decode(image: Image.Image) -> set[tuple[str, str]]:
    return {
        (str(r.format).split(".")[-1].replace(" ", ""), r.text)
        for r in zxingcpp.read_barcodes(image)
    }


def test_png_symbols_decode_to_the_id_and_the_uri() -> None:
    assert decode(Image.open(io.BytesIO(labels.qr_png(URI)))) == {("QRCode", URI)}
    assert decode(Image.open(io.BytesIO(labels.code39_png(ID)))) == {("Code39", ID)}


def rasterise_rects(svg: bytes, scale: float) -> Image.Image:
    """Draw the SVG's rectangles ourselves (no SVG library here): bars and modules are rects."""
    text = svg.decode()
    width = float(re.search(r'<svg[^>]*width="([\d.]+)mm"', text).group(1))
    height = float(re.search(r'<svg[^>]*height="([\d.]+)mm"', text).group(1))
    image = Image.new("L", (int(width * scale) + 1, int(height * scale) + 1), 255)
    draw = ImageDraw.Draw(image)
    for rect in re.finditer(r"<(?:svg:)?rect ([^>]*)/?>", text):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rect.group(1)))
        if attrs.get("style", "").find("fill:white") >= 0 or attrs.get("fill") == "white":
            continue
        if "%" in attrs.get("width", ""):
            continue  # the background
        x, y = (float(attrs[k].removesuffix("mm")) for k in ("x", "y"))
        w, h = (float(attrs[k].removesuffix("mm")) for k in ("width", "height"))
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1], fill=0)
    return image


def test_svg_symbols_decode_to_the_id_and_the_uri() -> None:
    assert decode(rasterise_rects(labels.qr_svg(URI), 12)) == {("QRCode", URI)}
    assert decode(rasterise_rects(labels.code39_svg(ID), 12)) == {("Code39", ID)}


def test_the_label_sheet_prints_decodable_labels_on_as_many_pages_as_needed() -> None:
    many = [
        labels.label_for(f"https://huanlian.example/lot/HL-{n}", "黄板纸 OCC-11", "东莞长安")
        for n in range(15)
    ]
    pdf = labels.label_sheet_pdf(many)
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 2  # 14 per page
    page = document[1].render(scale=300 / 72).to_pil()
    assert decode(page) == {("QRCode", "https://huanlian.example/lot/HL-14"), ("Code39", "HL-14")}
    first = decode(document[0].render(scale=300 / 72).to_pil())
    assert ("Code39", "HL-0") in first
    assert ("QRCode", "https://huanlian.example/lot/HL-13") in first
    assert "黄板纸" in document[0].get_textpage().get_text_range()


def test_a_lower_case_id_is_refused_not_upper_cased() -> None:
    with pytest.raises(Invalid):
        labels.code39_png("hl-1")
    with pytest.raises(Invalid):
        labels.label_sheet_pdf([labels.Label("hl-1", URI)])
