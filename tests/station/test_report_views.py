"""The report pages and their CSV and XLSX files: the same columns with Chinese headers, parsed
back, formula injection escaped, bad parameters a 400 naming the parameter."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.db import db
from core.enums import OrgKind, Role
from core.models import User
from station import reports as pure
from station.models import Location
from tests.factories import login, make_org, make_user
from tests.station import report_flow

HEADERS = {
    "inventory": [c.header for c in pure.BALANCE_COLUMNS],
    "process": [c.header for c in pure.PROCESS_COLUMNS],
    "disposal": [c.header for c in pure.DISPOSAL_COLUMNS],
}


@pytest.fixture
def signed_in(client, station):
    report_flow.run(station)
    login(client, db.session.get(User, station.operator.user_id).username)
    return client


def test_the_pages_show_the_reports(signed_in):
    page = signed_in.get("/station/reports/inventory?day=2026-12-01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "单日库存结余表" in html
    assert "A-01 一号库位" in html
    assert "核对为零" in html
    process = signed_in.get("/station/reports/process?day=2026-11-30&per_page=5").get_data(
        as_text=True
    )
    assert "共 11 条记录，第 1 / 3 页" in process
    assert "下一页" in process
    disposal = signed_in.get("/station/reports/disposal?from=2026-11-01&to=2026-12-01")
    html = disposal.get_data(as_text=True)
    assert "51.10%" in html  # recovery rate of November
    assert "2026-12" in html


def test_csv_parses_back_with_chinese_headers(signed_in):
    for name, query in [
        ("inventory", "day=2026-11-30"),
        ("process", "day=2026-11-30"),
        ("disposal", "from=2026-11-01&to=2026-12-01"),
    ]:
        response = signed_in.get(f"/station/reports/{name}?{query}&format=csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert rows[0] == HEADERS[name]
    process = list(
        csv.DictReader(
            io.StringIO(
                signed_in.get("/station/reports/process?format=csv&result=anomaly").data.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [(r["控制点"], r["偏差 D（千克）"], r["结果"]) for r in process] == [
        ("收料", "-100.000", "异常")
    ]


def test_xlsx_parses_back_with_numbers_as_numbers(signed_in):
    response = signed_in.get("/station/reports/disposal?from=2026-11-01&to=2026-12-01&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS["disposal"]
    november = dict(zip(rows[0], rows[1], strict=True))
    assert november["期间"] == "2026-11"
    assert november["收料量（千克）"] == 1898
    assert november["回收率"] == pytest.approx(0.511)
    inventory = load_workbook(
        io.BytesIO(signed_in.get("/station/reports/inventory?day=2026-12-01&format=xlsx").data)
    ).active
    (header, line) = list(inventory.iter_rows(values_only=True))
    assert dict(zip(header, line, strict=True))["盘盈盘亏（千克）"] == pytest.approx(-0.2)


def test_formula_injection_is_escaped_in_both_files(signed_in, station):
    location = db.session.scalar(sa.select(Location))
    location.code, location.name = "=1+1", 'HYPERLINK("http://evil")'
    db.session.commit()
    text = signed_in.get("/station/reports/inventory?day=2026-11-30&format=csv").data.decode(
        "utf-8-sig"
    )
    assert list(csv.reader(io.StringIO(text)))[1][0] == '\'=1+1 HYPERLINK("http://evil")'
    location.code = "@SUM"
    db.session.commit()
    book = load_workbook(
        io.BytesIO(signed_in.get("/station/reports/inventory?day=2026-11-30&format=xlsx").data)
    )
    cell = book.active["A2"]
    assert cell.value == '\'@SUM HYPERLINK("http://evil")'
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/station/reports/inventory?day=2026-13-01", "day"),
        ("/station/reports/inventory?format=pdf", "format"),
        ("/station/reports/inventory?station=abc", "station"),
        ("/station/reports/process?stage=weigh", "stage"),
        ("/station/reports/process?result=ok", "result"),
        ("/station/reports/process?page=0", "page"),
        ("/station/reports/process?per_page=1000", "per_page"),
        ("/station/reports/disposal?period=year", "period"),
        ("/station/reports/disposal?from=2026-12-01&to=2026-11-01", "to"),
        ("/station/reports/disposal?from=2024-01-01&to=2026-11-01", "to"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(signed_in, path, parameter):
    response = signed_in.get(path)
    assert response.status_code == 400
    assert f'<span class="code">{parameter}</span>' in response.get_data(as_text=True)


def test_another_station_gets_empty_reports_and_cannot_name_this_one(client, station):
    report_flow.run(station)
    other = make_user(make_org(OrgKind.STATION), Role.OPERATOR)
    db.session.commit()
    login(client, other.username)
    html = client.get("/station/reports/process").get_data(as_text=True)
    assert "共 0 条记录" in html
    named = client.get(f"/station/reports/process?station={station.org.id}")
    assert named.status_code == 403


def test_english_pages_and_files(signed_in):
    html = signed_in.get("/station/reports/inventory?day=2026-11-30&lang=en").get_data(as_text=True)
    assert "Daily inventory balance" in html
    assert "Balances to zero" in html
    text = signed_in.get("/station/reports/process?day=2026-11-30&format=csv&lang=en").data
    header, *rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert header[0] == "Record"
    assert {row[2] for row in rows} >= {"Delivery", "Receiving", "Sorting"}
