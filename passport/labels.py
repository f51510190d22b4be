"""Passport labels: a QR code of the lot URI and a Code39 barcode of the ID, and a label sheet.

The QR code (``qrcode``, error correction M, which survives a scuffed label) carries the URI,
so any phone camera opens the public passport; the Code39 symbol (python-barcode, no check
character, as GB/T 12908 allows) carries the bare ID for the station's handheld scanners.
Both are made from the validated ID (``ids.validate_id``), never from text a library might
upper-case. PNG and SVG come from the libraries' own writers; the PDF sheet draws the same
module patterns as vector rectangles, so every output encodes the identical symbols and
prints sharp at any resolution. Chinese text uses Adobe's STSong-Light CID font, which PDF
readers supply (nothing is embedded or downloaded).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from barcode import Code39
from barcode.writer import ImageWriter, SVGWriter
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from passport.ids import parse_uri, validate_id

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
LABEL_W, LABEL_H = 95 * mm, 38 * mm
COLUMNS, ROWS = 2, 7
QR_BORDER = 4  # modules: the quiet zone ISO/IEC 18004 asks for
CODE39_QUIET = 10  # narrow modules each side


@dataclass(frozen=True)
class Label:
    """What one label shows: the ID (Code39), its URI (QR), and two lines of text."""

    id: str
    uri: str
    title: str = ""
    subtitle: str = ""


def _qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_BORDER, box_size=8)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR code's modules, quiet zone included (True = dark)."""
    return _qr(data).get_matrix()


def qr_png(data: str, box_px: int = 8) -> bytes:
    """The QR code as PNG, `box_px` pixels per module."""
    code = _qr(data)
    code.box_size = box_px
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data: str) -> bytes:
    """The QR code as SVG (one ``rect`` per dark module, sizes in mm)."""
    buffer = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.svg.SvgImage).save(buffer)
    return buffer.getvalue()


def code39_modules(lot_id: str) -> str:
    """The Code39 bar pattern of a valid ID ('1' bar, '0' space, narrow module units)."""
    return Code39(validate_id(lot_id), add_checksum=False).build()[0]


def code39_png(lot_id: str, module_px: int = 3, height_mm: float = 15.0) -> bytes:
    """The Code39 barcode of an ID as PNG, with the ID printed under it."""
    buffer = io.BytesIO()
    symbol = Code39(validate_id(lot_id), writer=ImageWriter(), add_checksum=False)
    symbol.write(
        buffer,
        {
            "module_width": module_px / 11.811,
            "dpi": 300,
            "module_height": height_mm,
            "quiet_zone": CODE39_QUIET * module_px / 11.811,
        },
    )
    return buffer.getvalue()


def code39_svg(lot_id: str) -> bytes:
    """The Code39 barcode of an ID as SVG, with the ID printed under it."""
    buffer = io.BytesIO()
    Code39(validate_id(lot_id), writer=SVGWriter(), add_checksum=False).write(buffer)
    return buffer.getvalue()


def label_for(uri: str, title: str = "", subtitle: str = "") -> Label:
    """A label whose ID is read back from its URI, so the two can never disagree."""
    scanned = parse_uri(uri)
    if not scanned.lot_id:
        raise ValueError("an SSCC label needs its own ID")
    return Label(scanned.lot_id, uri, title, subtitle)


def _draw_label(pdf: canvas.Canvas, label: Label, x: float, y: float) -> None:
    """One 95 × 38 mm label with its lower-left corner at (x, y)."""
    pdf.setStrokeGray(0.8)
    pdf.rect(x, y, LABEL_W, LABEL_H, stroke=1, fill=0)
    matrix = qr_matrix(label.uri)
    module = 34 * mm / len(matrix)
    top = y + 2 * mm + len(matrix) * module
    pdf.setFillGray(0)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                pdf.rect(
                    x + 2 * mm + col * module,
                    top - (row + 1) * module,
                    module,
                    module,
                    stroke=0,
                    fill=1,
                )
    pattern = code39_modules(label.id)
    left = x + 38 * mm
    width = LABEL_W - 40 * mm
    narrow = width / (len(pattern) + 2 * CODE39_QUIET)
    bar_y, bar_h = y + 15 * mm, 12 * mm
    position = 0
    while position < len(pattern):
        run = len(pattern[position:]) - len(pattern[position:].lstrip(pattern[position]))
        if pattern[position] == "1":
            pdf.rect(
                left + (CODE39_QUIET + position) * narrow,
                bar_y,
                run * narrow,
                bar_h,
                stroke=0,
                fill=1,
            )
        position += run
    pdf.setFont("Helvetica", 9)
    pdf.drawCentredString(left + width / 2, y + 11 * mm, label.id)
    pdf.setFont(FONT, 9)
    pdf.drawString(left, y + 30 * mm, label.title[:24])
    pdf.setFont(FONT, 7)
    pdf.drawString(left, y + 6 * mm, label.subtitle[:34])
    pdf.setFont("Helvetica", 5)
    pdf.drawString(left, y + 2.5 * mm, label.uri[:70])


def label_sheet_pdf(labels: Sequence[Label], title: str = "环链 批次护照标签") -> bytes:
    """An A4 sheet (2 × 7 labels per page, as many pages as needed) to print and stick."""
    for label in labels:
        validate_id(label.id)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    page_w, page_h = A4
    margin_x = (page_w - COLUMNS * LABEL_W) / 2
    margin_y = (page_h - ROWS * LABEL_H) / 2
    per_page = COLUMNS * ROWS
    for number, label in enumerate(labels):
        if number and number % per_page == 0:
            pdf.showPage()
        slot = number % per_page
        row, col = divmod(slot, COLUMNS)
        _draw_label(pdf, label, margin_x + col * LABEL_W, page_h - margin_y - (row + 1) * LABEL_H)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
