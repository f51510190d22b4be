"""Code39 package labels (GB/T 12908): ids, the mod-43 check character, SVG, PNG and PDF.

Every package the station makes carries a label whose id says where and when it was made:
``<station>-<stage>-<yyyymmdd>-<seq>``, e.g. ``ST01-SRT-20261201-0007``. The id uses only the
Code39 character set of GB/T 12908 — digits, upper-case letters and ``- . space $ / + %`` —
and is validated, never upper-cased silently: python-barcode would upper-case a lower-case id,
and the printed label would then not match the id stored.

python-barcode builds the bar pattern (wide bars three modules, narrow one, as the standard
allows); SVG and PNG are its writers, and the PDF pages draw the same module pattern as vector
rectangles, so every output encodes the identical symbol. The human-readable text is printed
under the bars; the Chinese line uses Adobe's STSong-Light CID font, which PDF readers supply.

On a 60 × 40 mm label a 22-character id (24 symbols with start/stop) fits at a narrow bar of
about 0.134 mm with 10-module quiet zones; 300 dpi label printers print that, 203 dpi ones at
one dot. A shorter station code or sequence widens the bars.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from barcode import Code39
from barcode.writer import ImageWriter, SVGWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from core.errors import Invalid

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"  # in mod-43 value order
VALUE = {char: i for i, char in enumerate(CHARSET)}
STAGES = {
    "deliver": "DLV",  # 送料
    "receive": "RCV",  # 收料
    "sort": "SRT",  # 分拣
    "bale": "BAL",  # 打包
    "warehouse_in": "WHI",  # 入库
    "warehouse_out": "WHO",  # 出库
}
STATION_CODE = re.compile(r"[A-Z0-9]{1,8}")
LABEL_ID = re.compile(
    r"(?P<station>[A-Z0-9]{1,8})-(?P<stage>[A-Z]{3})-(?P<day>\d{8})-(?P<seq>\d{4})"
)
MAX_SEQ = 9999
MAX_LENGTH = 40  # a 60 mm label cannot carry more legibly
QUIET_MODULES = 10  # Code39 quiet zone: at least 10 narrow modules each side

LABEL_SIZE = (60 * mm, 40 * mm)
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def validate(text: str, field: str = "label") -> str:
    """`text` if every character is in the Code39 set; lower case is refused, not converted."""
    if not isinstance(text, str) or not text:
        raise Invalid("标签编码不能为空", {field: "required"})
    if len(text) > MAX_LENGTH:
        raise Invalid("标签编码过长（最多 40 个字符）", {field: "too long"})
    bad = sorted({char for char in text if char not in VALUE})
    if bad:
        raise Invalid(
            "标签编码含 Code39 不支持的字符：%(chars)s（仅限大写字母、数字和 - . 空格 $ / + %%）",
            {field: "characters outside Code39"},
            chars=" ".join(repr(c) for c in bad),
        )
    return text


def check_char(text: str) -> str:
    """The mod-43 check character of `text` (Σ character values mod 43)."""
    return CHARSET[sum(VALUE[char] for char in validate(text)) % 43]


def with_check(text: str) -> str:
    """`text` followed by its check character (40 characters at most, the check included)."""
    return validate(text + check_char(text))


def verify(text_with_check: str) -> bool:
    """Whether the last character of a scanned text is the right check character."""
    validate(text_with_check)
    return len(text_with_check) > 1 and check_char(text_with_check[:-1]) == text_with_check[-1]


# ---- ids --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelId:
    """The parts of a label id."""

    station: str
    stage: str
    day: date
    seq: int

    def __str__(self) -> str:
        return f"{self.station}-{self.stage}-{self.day:%Y%m%d}-{self.seq:04d}"


def label_id(station_code: str, stage: str, day: date, seq: int) -> str:
    """The id of the `seq`-th package of `stage` at the station on `day` (a local date).

    `stage` is a stage name (``sort``) or its code (``SRT``); the sequence is 1 … 9999 per
    station, stage and day, zero-padded so that ids sort in order.
    """
    if not isinstance(station_code, str) or not STATION_CODE.fullmatch(station_code):
        raise Invalid(
            "站点代码只能是 1 至 8 位大写字母或数字", {"station_code": "not [A-Z0-9]{1,8}"}
        )
    code = STAGES.get(stage, stage)
    if code not in STAGES.values():
        raise Invalid("未知的作业环节", {"stage": "unknown"})
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise Invalid("当日序号必须在 1 至 9999 之间", {"seq": "not in 1..9999"})
    if not isinstance(day, date):
        raise TypeError("day must be a date")
    return validate(str(LabelId(station_code, code, day, seq)))


def parse_label_id(text: str) -> LabelId:
    """The parts of a scanned id (with or without its check character); Invalid otherwise."""
    text = validate(text)
    match = LABEL_ID.fullmatch(text)
    if match is None and len(text) > 1 and verify(text):
        match = LABEL_ID.fullmatch(text[:-1])
    if match is None or match["stage"] not in STAGES.values():
        raise Invalid("标签编码格式不正确", {"label": "not a station label id"})
    try:
        day = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
    except ValueError as exc:
        raise Invalid("标签编码中的日期无效", {"label": "invalid date"}) from exc
    seq = int(match["seq"])
    if seq < 1:
        raise Invalid("标签编码格式不正确", {"label": "sequence 0"})
    return LabelId(match["station"], match["stage"], day, seq)


# ---- symbols ----------------------------------------------------------------------------


def modules(text: str, *, check: bool = False) -> str:
    """The symbol's module pattern as python-barcode builds it ('1' bar, '0' space),
    start and stop characters included."""
    symbol = Code39(validate(text), add_checksum=check)
    return symbol.build()[0]


def _symbol(text: str, check: bool, writer: SVGWriter | ImageWriter) -> Code39:
    return Code39(validate(text), writer=writer, add_checksum=check)


def svg(text: str, *, check: bool = False) -> bytes:
    """The label's barcode as an SVG document, the human-readable text under it."""
    buffer = io.BytesIO()
    _symbol(text, check, SVGWriter()).write(buffer, {"quiet_zone": 2.54, "module_height": 12})
    return buffer.getvalue()


def png(text: str, *, check: bool = False, dpi: int = 300) -> bytes:
    """The label's barcode as a PNG; modules are a whole 3 pixels at 300 dpi (0.254 mm)."""
    buffer = io.BytesIO()
    options = {
        "module_width": 0.254 * 300 / dpi,
        "module_height": 12,
        "quiet_zone": 2.54,
        "dpi": dpi,
    }
    writer = ImageWriter(dpi=dpi)
    _symbol(text, check, writer).write(buffer, options)
    return buffer.getvalue()


# ---- PDF pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """What a printed label shows: its id as bars and text, a Chinese line (material and
    weight) and an optional note (station, date, lot)."""

    code: str
    material: str
    weight_kg: Decimal | None = None
    note: str = ""
    check: bool = False

    def line(self) -> str:
        """The Chinese line: material and weight in kg with three decimals."""
        if self.weight_kg is None:
            return self.material
        return f"{self.material}  {self.weight_kg.quantize(Decimal('0.001'))} kg"


def _draw(pdf: canvas.Canvas, label: Label, x: float, y: float) -> None:
    """Draw one 60 × 40 mm label with its lower-left corner at (x, y)."""
    width = LABEL_SIZE[0]
    pattern = modules(label.code, check=label.check)
    margin = 3 * mm
    module = (width - 2 * margin) / (len(pattern) + 2 * QUIET_MODULES)
    left = x + margin + QUIET_MODULES * module
    bar_bottom, bar_height = y + 19 * mm, 17 * mm
    pdf.setFillColorRGB(0, 0, 0)
    i = 0
    while i < len(pattern):
        if pattern[i] == "1":
            start = i
            while i < len(pattern) and pattern[i] == "1":
                i += 1
            pdf.rect(left + start * module, bar_bottom, (i - start) * module, bar_height, 0, 1)
        else:
            i += 1
    human = label.code + (check_char(label.code) if label.check else "")
    pdf.setFont("Courier", 8)
    pdf.drawCentredString(x + width / 2, y + 15 * mm, human)
    pdf.setFont(FONT, 10)
    pdf.drawCentredString(x + width / 2, y + 9 * mm, label.line()[:30])
    if label.note:
        pdf.setFont(FONT, 7)
        pdf.drawCentredString(x + width / 2, y + 4 * mm, label.note[:44])


def label_page(label: Label) -> bytes:
    """One 60 × 40 mm PDF page for a label printer."""
    validate(label.code, "code")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LABEL_SIZE, invariant=1)
    pdf.setTitle(label.code)
    _draw(pdf, label, 0, 0)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


SHEET_COLUMNS, SHEET_ROWS = 3, 7  # 3 × 60 mm by 7 × 40 mm on A4, 15 mm and 8.5 mm margins
PER_SHEET = SHEET_COLUMNS * SHEET_ROWS


def a4_sheet(labels: Sequence[Label]) -> bytes:
    """An A4 PDF of labels, 21 per page (3 × 7 of 60 × 40 mm) in reading order, with thin
    cut lines; more labels continue on further pages."""
    if not labels:
        raise Invalid("没有要打印的标签", {"labels": "empty"})
    for i, label in enumerate(labels):
        validate(label.code, f"labels[{i}].code")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(f"标签 {labels[0].code} 等 {len(labels)} 张")
    page_width, page_height = A4
    width, height = LABEL_SIZE
    left = (page_width - SHEET_COLUMNS * width) / 2
    top = page_height - (page_height - SHEET_ROWS * height) / 2
    for start in range(0, len(labels), PER_SHEET):
        for i, label in enumerate(labels[start : start + PER_SHEET]):
            row, column = divmod(i, SHEET_COLUMNS)
            x, y = left + column * width, top - (row + 1) * height
            pdf.setStrokeColorRGB(0.8, 0.8, 0.8)
            pdf.setLineWidth(0.2)
            pdf.rect(x, y, width, height, 1, 0)
            _draw(pdf, label, x, y)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
