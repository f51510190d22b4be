"""Code39 labels: the character set, the check character, ids, and outputs that really decode.

The decoder here is independent of python-barcode: it reads bar and space widths (from the
PNG's pixels, or the PDF's rectangles) and looks them up in the Code39 table of GB/T 12908
written out below in its usual narrow/wide notation.
"""

import io
import re
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from barcode import Code39
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from core.errors import Invalid
from station import labels
from station.labels import Label, LabelId

# bar, space, bar, … (9 elements) per character; w = wide, n = narrow
TABLE = {
    "0": "nnnwwnwnn", "1": "wnnwnnnnw", "2": "nnwwnnnnw", "3": "wnwwnnnnn",
    "4": "nnnwwnnnw", "5": "wnnwwnnnn", "6": "nnwwwnnnn", "7": "nnnwnnwnw",
    "8": "wnnwnnwnn", "9": "nnwwnnwnn", "A": "wnnnnwnnw", "B": "nnwnnwnnw",
    "C": "wnwnnwnnn", "D": "nnnnwwnnw", "E": "wnnnwwnnn", "F": "nnwnwwnnn",
    "G": "nnnnnwwnw", "H": "wnnnnwwnn", "I": "nnwnnwwnn", "J": "nnnnwwwnn",
    "K": "wnnnnnnww", "L": "nnwnnnnww", "M": "wnwnnnnwn", "N": "nnnnwnnww",
    "O": "wnnnwnnwn", "P": "nnwnwnnwn", "Q": "nnnnnnwww", "R": "wnnnnnwwn",
    "S": "nnwnnnwwn", "T": "nnnnwnwwn", "U": "wwnnnnnnw", "V": "nwwnnnnnw",
    "W": "wwwnnnnnn", "X": "nwnnwnnnw", "Y": "wwnnwnnnn", "Z": "nwwnwnnnn",
    "-": "nwnnnnwnw", ".": "wwnnnnwnn", " ": "nwwnnnwnn", "$": "nwnwnwnnn",
    "/": "nwnwnnnwn", "+": "nwnnnwnwn", "%": "nnnwnwnwn", "*": "nwnnwnwnn",
}  # fmt: skip
DECODE = {pattern: char for char, pattern in TABLE.items()}
ID = "ST01-SRT-20261201-0007"


def decode_widths(widths: list[float]) -> str:
    """Text from alternating bar/space widths (bar first): 9 elements + a gap per char."""
    narrow = min(widths)
    marks = "".join("w" if w > 2 * narrow else "n" for w in widths)
    chars = [DECODE[marks[i : i + 9]] for i in range(0, len(marks), 10)]
    assert all(marks[i + 9] == "n" for i in range(0, len(marks) - 9, 10))  # gaps are narrow
    assert chars[0] == chars[-1] == "*", "start and stop characters"
    return "".join(chars[1:-1])


def decode_png(data: bytes) -> str:
    image = Image.open(io.BytesIO(data)).convert("L")
    y = image.height // 3  # through the bars, above the text
    row = [image.getpixel((x, y)) < 128 for x in range(image.width)]
    first, last = row.index(True), len(row) - 1 - row[::-1].index(True)
    runs, current, length = [], row[first], 0
    for dark in row[first : last + 1]:
        if dark == current:
            length += 1
        else:
            runs.append(length)
            current, length = dark, 1
    runs.append(length)
    return decode_widths(runs)


def decode_pdf_page(data: bytes, page: int = 0, label_index: int = 0) -> str:
    """Text from the filled rectangles of a PDF page (one label's row of bars)."""
    content = PdfReader(io.BytesIO(data)).pages[page].get_contents().get_data().decode()
    number = r"(-?[\d.]+)"
    rects = [
        tuple(float(v) for v in m.groups())
        for m in re.finditer(rf"{number} {number} {number} {number} re f\b", content)
    ]
    rows: dict[float, list[tuple[float, float]]] = {}
    for x, y, w, _h in rects:
        rows.setdefault(round(y, 2), []).append((x, w))
    bars = sorted(rows[max(rows)])  # the top row of labels
    groups, group = [], [bars[0]]
    for prev, cur in pairwise(bars):
        if cur[0] - (prev[0] + prev[1]) > 20:  # points: the quiet zones between two labels
            groups.append(group)
            group = []
        group.append(cur)
    groups.append(group)
    chosen = groups[label_index]
    widths: list[float] = []
    for i, (x, w) in enumerate(chosen):
        if i:
            prev_x, prev_w = chosen[i - 1]
            widths.append(x - (prev_x + prev_w))
        widths.append(w)
    return decode_widths(widths)


def test_the_table_matches_python_barcodes_module_patterns() -> None:
    """python-barcode's module pattern of each character is the standard's, wide = 3 modules."""
    for char in labels.CHARSET:
        pattern = labels.modules(char)
        widths = [len(run) for run in re.findall(r"1+|0+", pattern)]
        assert decode_widths(widths) == char


def test_png_encodes_the_text_and_its_check_character() -> None:
    assert decode_png(labels.png(ID)) == ID
    assert decode_png(labels.png(ID, check=True)) == ID + "D"
    assert decode_png(labels.png("A-Z $/+%.", dpi=203)) == "A-Z $/+%."


def test_svg_encodes_the_text() -> None:
    svg = labels.svg(ID).decode()
    assert svg.lstrip().startswith("<?xml")
    rects = re.findall(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm"', svg)
    bars = [(float(x), float(w)) for x, w in rects]
    widths = []
    for i, (x, w) in enumerate(bars):
        if i:
            widths.append(round(x - (bars[i - 1][0] + bars[i - 1][1]), 3))
        widths.append(w)
    assert decode_widths(widths) == ID
    assert f">{ID}</text>" in svg  # the human-readable line


def test_label_page_is_60_by_40_mm_with_bars_text_and_chinese() -> None:
    pdf = labels.label_page(Label(ID, "黄板纸", Decimal("512.5"), "东莞长安回收站"))
    reader = PdfReader(io.BytesIO(pdf))
    (page,) = reader.pages
    assert (
        round(float(page.mediabox.width) / 72 * 25.4),
        round(float(page.mediabox.height) / 72 * 25.4),
    ) == (60, 40)
    text = page.extract_text()
    assert ID in text
    assert "黄板纸" in text
    assert "512.500 kg" in text
    assert decode_pdf_page(pdf) == ID
    checked = labels.label_page(Label(ID, "黄板纸", check=True))
    assert decode_pdf_page(checked) == ID + "D"
    assert ID + "D" in PdfReader(io.BytesIO(checked)).pages[0].extract_text()


def test_a4_sheet_has_21_labels_a_page_and_continues() -> None:
    items = [
        Label(labels.label_id("ST01", "bale", date(2026, 12, 1), n), "黄板纸", Decimal(500 + n))
        for n in range(1, 26)
    ]
    pdf = labels.a4_sheet(items)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert round(float(reader.pages[0].mediabox.width) / 72 * 25.4) == 210
    first, second = (p.extract_text() for p in reader.pages)
    assert items[0].code in first
    assert items[20].code in first
    assert items[21].code not in first
    assert items[24].code in second
    assert [decode_pdf_page(pdf, 0, i) for i in range(3)] == [x.code for x in items[:3]]
    with pytest.raises(Invalid):
        labels.a4_sheet([])


def test_label_ids() -> None:
    assert labels.label_id("ST01", "sort", date(2026, 12, 1), 7) == ID
    assert labels.label_id("ST01", "SRT", date(2026, 12, 1), 7) == ID
    assert labels.label_id("A", "warehouse_out", date(2027, 1, 9), 9999) == "A-WHO-20270109-9999"
    assert labels.parse_label_id(ID) == LabelId("ST01", "SRT", date(2026, 12, 1), 7)
    assert labels.parse_label_id(labels.with_check(ID)) == LabelId(
        "ST01", "SRT", date(2026, 12, 1), 7
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("st01", "sort", 7), "station_code"),  # lower case is refused, not upper-cased
        (("ST-1", "sort", 7), "station_code"),
        (("ST0123456", "sort", 7), "station_code"),
        (("ST01", "weigh", 7), "stage"),
        (("ST01", "srt", 7), "stage"),
        (("ST01", "sort", 0), "seq"),
        (("ST01", "sort", 10_000), "seq"),
    ],
)
def test_bad_ids_are_refused_naming_the_field(args, field) -> None:
    station, stage, seq = args
    with pytest.raises(Invalid) as err:
        labels.label_id(station, stage, date(2026, 12, 1), seq)
    assert field in err.value.fields


@pytest.mark.parametrize("text", ["st01-srt", "ST01_SRT", "ST01*", "环链", "", "A" * 41, "ST01\n"])
def test_lower_case_and_characters_outside_code39_are_refused(text) -> None:
    with pytest.raises(Invalid) as err:
        labels.svg(text)
    assert "label" in err.value.fields
    with pytest.raises(Invalid):
        labels.png(text)
    with pytest.raises(Invalid):
        labels.check_char(text)


@pytest.mark.parametrize(
    "text", ["ST01-SRT-20261301-0007", "ST01-XXX-20261201-0007", "HELLO", "ST01-SRT-20261201-0000"]
)
def test_parse_refuses_what_is_not_a_station_label(text) -> None:
    with pytest.raises(Invalid) as err:
        labels.parse_label_id(text)
    assert "label" in err.value.fields


def test_check_character_worked_examples() -> None:
    """Σ values mod 43: ST01-SRT-20261201-0007 sums to 271, 271 mod 43 = 13 → 'D'."""
    assert labels.check_char(ID) == "D"
    assert labels.check_char("CODE39") == "W"  # 12+24+13+14+3+9 = 75, 75 mod 43 = 32
    assert labels.check_char("0") == "0"
    assert labels.check_char("%") == "%"  # 42
    assert labels.verify(ID + "D")
    assert not labels.verify(ID + "E")


@given(st.text(alphabet=labels.CHARSET, min_size=1, max_size=40))
def test_check_character_agrees_with_python_barcode(text) -> None:
    assert labels.check_char(text) == Code39(text, add_checksum=True).code[-1]
    if len(text) < labels.MAX_LENGTH:
        assert labels.verify(labels.with_check(text))
    else:  # the check character counts towards the 40 characters
        with pytest.raises(Invalid):
            labels.with_check(text)
