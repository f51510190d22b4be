"""CSV and XLSX import and export of lots, with one set of columns for both directions.

Import is all-or-nothing: every row is validated (schema and domain rules), every problem is
reported with its line and field, and only a clean file creates lots — as drafts, in one
transaction. Export writes the same columns so an export can be edited and imported again.
Cells that a spreadsheet would run as a formula are neutralised on export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from openpyxl import Workbook, load_workbook

from core.auth import Actor
from core.db import db
from core.errors import DomainError, Invalid
from core.models import Site
from core.tabular import safe_cell
from core.time import utcnow
from marketplace.lots import forms, services
from marketplace.lots.models import Lot, LotVersion
from marketplace.lots.schemas import ArchiveSchema

COLUMNS = (
    "site",
    "grade",
    "title",
    "description",
    "quantity_t",
    "quantity_basis",
    "form",
    "package_count",
    "unit_weight_kg",
    "available_from",
    "available_until",
    "ask_yuan_per_t",
    "hw_codes",
    "industry_code",
    "process",
    "moisture_pct",
    "contamination_pct",
)
PROPERTY_COLUMNS = ("moisture_pct", "contamination_pct")
EXAMPLE = {
    "site": "一厂",
    "grade": "PA-OCC",
    "title": "纸箱车间黄板纸边角料",
    "description": "",
    "quantity_t": "12.5",
    "quantity_basis": "weighbridge",
    "form": "bale",
    "package_count": "25",
    "unit_weight_kg": "500",
    "available_from": "",
    "available_until": "",
    "ask_yuan_per_t": "1650",
    "hw_codes": "",
    "industry_code": "C2231",
    "process": "模切",
    "moisture_pct": "11.5",
    "contamination_pct": "1.0",
}
MAX_ROWS = 5000


@dataclass(frozen=True)
class Table:
    """A file's rows as dicts keyed by column, with their line numbers (the header is line 1)."""

    rows: list[tuple[int, dict[str, str]]]


def read(filename: str, data: bytes) -> Table:
    """Parse CSV (UTF-8, with or without BOM) or XLSX by content; refuse anything else."""
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "文件不是 UTF-8 编码的 CSV 或 XLSX", {"file": "not CSV (UTF-8) or XLSX"}
        ) from exc
    reader = csv.reader(io.StringIO(text))
    lines = list(reader)
    return _table(lines)


def _read_xlsx(data: bytes) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise Invalid("XLSX 文件无法读取", {"file": "unreadable XLSX"}) from exc
    sheet = book.worksheets[0]
    lines = [
        ["" if v is None else _cell_text(v) for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return _table(lines)


def _cell_text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(lines: list[list[str]]) -> Table:
    if not lines:
        raise Invalid("文件为空", {"file": "empty"})
    header = [h.strip() for h in lines[0]]
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [
        c
        for c in ("site", "grade", "title", "quantity_t", "quantity_basis", "form")
        if c not in header
    ]
    if unknown or missing:
        fields = {f"column {c}": "unknown column" for c in unknown}
        fields |= {f"column {c}": "missing column" for c in missing}
        raise Invalid("表头不正确：%(names)s", fields, names=", ".join(fields))
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            continue
        rows.append(
            (
                number,
                {h: (line[i].strip() if i < len(line) else "") for i, h in enumerate(header) if h},
            )
        )
    if len(rows) > MAX_ROWS:
        raise Invalid("一次最多导入 %(n)d 行", {"file": "too many rows"}, n=MAX_ROWS)
    return Table(rows)


def _archive_from_row(row: dict[str, str], sites: dict[str, int]) -> dict[str, Any]:
    body: dict[str, Any] = {
        k: v
        for k, v in row.items()
        if v != "" and k not in PROPERTY_COLUMNS and k not in ("site", "hw_codes")
    }
    site = row.get("site", "")
    body["site_id"] = sites.get(site, -1) if not site.isdigit() else int(site)
    if row.get("hw_codes"):
        body["hw_codes"] = [
            c.strip() for c in row["hw_codes"].replace("，", ",").split(",") if c.strip()
        ]
    body["properties"] = [
        {"key": k, "value": row[k], "unit": "%", "method": "", "source": "declared"}
        for k in PROPERTY_COLUMNS
        if row.get(k)
    ]
    return body


def import_lots(actor: Actor, table: Table) -> list[Lot]:
    """Validate every row, then create all lots as drafts — or none, with every problem named."""
    sites = {
        s.name: s.id
        for s in db.session.scalars(sa.select(Site).where(Site.organization_id == actor.org_id))
    }
    schema = ArchiveSchema()
    problems: dict[str, str] = {}
    archives = []
    for line, row in table.rows:
        try:
            archives.append(schema.load(_archive_from_row(row, sites)))
            services.validate_archive(actor, archives[-1])
        except ValidationError as err:
            for field, messages in err.normalized_messages().items():
                problems[f"line {line}.{field}"] = _first(messages)
        except DomainError as err:
            for field, message in (err.fields or {"_row": err.message}).items():
                problems[f"line {line}.{field}"] = message
    if problems:
        raise Invalid(
            "导入失败，未导入任何批次：%(names)s", problems, names=", ".join(list(problems)[:10])
        )
    now = utcnow()
    return [services.create_lot(actor, data, now=now) for data in archives]


def _first(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {_first(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return str(messages[0]) if messages else ""
    return str(messages)


def export_rows(org_id: int) -> Iterable[dict[str, Any]]:
    """The organisation's lots in the import columns (current versions)."""
    stmt = (
        sa.select(Lot, LotVersion, Site.name)
        .join(LotVersion, sa.and_(LotVersion.lot_id == Lot.id, LotVersion.number == Lot.version))
        .join(Site, Site.id == Lot.site_id)
        .where(Lot.organization_id == org_id)
        .order_by(Lot.id)
    )
    for _lot, version, site_name in db.session.execute(stmt):
        values = forms.from_version(version)
        row = {c: values.get(c, "") for c in COLUMNS if c not in PROPERTY_COLUMNS}
        row["site"] = site_name
        row["hw_codes"] = ",".join(version.hw_codes)  # one cell, as import reads it
        yield row | {k: values.get(f"prop_{k}", "") for k in PROPERTY_COLUMNS}


def write_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM, so Excel on a Chinese Windows opens it with the right encoding."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "lots"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([safe_cell(row.get(c, "")) for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
