"""The station reports' files: CSV (UTF-8 with a BOM, CRLF, for Excel) and XLSX (numbers as
numbers, a bold frozen header), with text a spreadsheet would run as a formula escaped
(`core.tabular.safe_cell`). Split from `station.reports`, which re-exports them."""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.tabular import safe_cell
from station.tolerance import N_

if TYPE_CHECKING:
    from station.reports import Column

YES, NO = N_("是"), N_("否")


def safe_text(value: str) -> str:
    """Neutralise text a spreadsheet would execute (CSV/formula injection; `core.tabular`)."""
    return str(safe_cell(value))


def _value(row: Any, column: Column, tz: ZoneInfo, translate: Callable[[str], str]) -> Any:
    """A cell's value: numbers stay numbers, times local and naive, text escaped."""
    raw = row[column.key] if isinstance(row, Mapping) else getattr(row, column.key)
    value = column.format(raw) if column.format else raw
    if value is None:
        return None
    if isinstance(value, bool):
        return translate(YES if value else NO)
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("report times must be timezone-aware")
        return value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    if isinstance(value, tuple):
        value = "；".join(f"{name} {amount}" for name, amount in value)
    if isinstance(value, int | Decimal | date):
        return value
    return safe_text(str(value))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def to_csv(
    rows: Iterable[Any],
    columns: Sequence[Column],
    tz: str = "Asia/Shanghai",
    translate: Callable[[str], str] = str,  # str: the identity on Chinese msgids
) -> bytes:
    """CSV bytes, UTF-8 with BOM for Excel; rows are dataclasses or mappings; `translate`
    (the caller's gettext) turns the Chinese headers and 是/否 into the user's language."""
    zone = ZoneInfo(tz)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(translate(column.header)) for column in columns])
    for row in rows:
        writer.writerow([_text(_value(row, column, zone, translate)) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(
    rows: Iterable[Any],
    columns: Sequence[Column],
    title: str,
    tz: str = "Asia/Shanghai",
    translate: Callable[[str], str] = str,  # str: the identity on Chinese msgids
) -> bytes:
    """An XLSX workbook of one sheet named after `title` (Excel's 31 characters, no []:*?/\\),
    a bold frozen header row and numbers as numbers; `translate` (gettext) for headers."""
    zone = ZoneInfo(tz)
    book = Workbook(write_only=True)  # streams rows: several times faster for big reports
    sheet = book.create_sheet(SHEET_TITLE_BAD.sub(" ", title)[:31] or "Sheet1")
    book.properties.title = title
    for index, column in enumerate(columns, start=1):
        width = max(10, min(40, len(column.header) * 2 + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = [WriteOnlyCell(sheet, value=safe_text(translate(c.header))) for c in columns]
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for row in rows:
        sheet.append([_value(row, column, zone, translate) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
