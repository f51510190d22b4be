"""Bulk import (CSV, XLSX) is all-or-nothing with line and field named; export round-trips."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from core.db import db
from marketplace.lots.models import Lot
from marketplace.lots.tabular import COLUMNS

HEADER = ",".join(COLUMNS)


def row(site, **values):
    base = {
        "site": site,
        "grade": "PA-OCC",
        "title": "黄板纸",
        "quantity_t": "10",
        "quantity_basis": "estimated",
        "form": "bale",
        "ask_yuan_per_t": "1600",
        "moisture_pct": "11",
        "contamination_pct": "1",
    }
    base.update(values)
    return ",".join(str(base.get(c, "")) for c in COLUMNS)


def send(client, user, data: bytes, name="lots.csv"):
    return client.post(
        "/api/v1/lots/import",
        headers=user.headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def count():
    return db.session.scalar(sa.select(sa.func.count(Lot.id)))


def test_csv_import_creates_drafts(client, producer) -> None:
    text = "\n".join(
        [
            HEADER,
            row(producer.site.name),
            row(producer.site2.name, grade="PA-KRAFT", title="牛卡纸", quantity_t="3.25"),
        ]
    )
    response = send(client, producer, ("\ufeff" + text).encode())  # Excel's BOM is fine
    assert response.status_code == 201, response.json
    assert [lot["title"] for lot in response.json] == ["黄板纸", "牛卡纸"]
    assert {lot["status"] for lot in response.json} == {"draft"}
    assert response.json[1]["quantity_t"] == "3.25"
    assert response.json[0]["dql"] == 1


def test_one_bad_row_imports_nothing_and_names_line_and_field(client, producer) -> None:
    text = "\n".join(
        [
            HEADER,
            row(producer.site.name),
            row(producer.site.name, quantity_t="-2"),
            row("不存在的厂"),
            row(producer.site.name, moisture_pct="140"),
            row(producer.site.name, grade="BA-LEAD", hw_codes="900-045-49"),
        ]
    )
    response = send(client, producer, text.encode())
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert "line 3.quantity_t" in fields
    assert "line 4.site_id" in fields
    assert "line 5.properties.0.value" in fields
    assert "line 6.hw_codes" in fields
    assert not any(k.startswith("line 2") for k in fields)
    assert count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "file"),
        (b"site,grade,colour\n", "column colour"),
        (b"title,grade\n", "column site"),
        (b"\xff\xfe\x00garbage", "file"),
    ],
)
def test_bad_files(client, producer, data, field) -> None:
    response = send(client, producer, data)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_xlsx_import_and_export_round_trip(client, producer) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    values = dict(
        zip(COLUMNS, row(producer.site.name, title="-2号仓黄板纸").split(","), strict=True)
    )
    values["quantity_t"] = 7.5  # a number cell, as Excel stores it
    sheet.append([values[c] for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    response = send(client, producer, buffer.getvalue(), name="lots.xlsx")
    assert response.status_code == 201, response.json
    assert response.json[0]["quantity_t"] == "7.5"

    exported = client.get("/api/v1/lots/export?format=xlsx", headers=producer.headers)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert rows[1][COLUMNS.index("title")] == "'-2号仓黄板纸"  # cannot be read as a formula
    assert rows[1][COLUMNS.index("quantity_t")] == "7.5"

    as_csv = client.get("/api/v1/lots/export?format=csv", headers=producer.headers)
    assert as_csv.data.startswith("\ufeff".encode())
    parsed = list(csv.DictReader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert parsed[0]["site"] == producer.site.name
    assert parsed[0]["moisture_pct"] == "11"


def test_export_then_import_gives_the_same_lots(client, producer) -> None:
    send(client, producer, "\n".join([HEADER, row(producer.site.name)]).encode())
    first = client.get("/api/v1/lots/export", headers=producer.headers).data
    again = send(client, producer, first)
    assert again.status_code == 201
    second = client.get("/api/v1/lots/export", headers=producer.headers).data.decode("utf-8-sig")
    lines = second.strip().splitlines()
    assert lines[1] == lines[2]


def test_template_downloads(client, producer) -> None:
    for fmt in ("csv", "xlsx"):
        response = client.get(
            f"/api/v1/lots/import-template?format={fmt}", headers=producer.headers
        )
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
    assert (
        client.get("/api/v1/lots/import-template?format=pdf", headers=producer.headers).status_code
        == 422
    )
