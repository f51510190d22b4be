"""Report builders: the balance identity, process records, the disposal report, CSV and XLSX."""

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from station import reports
from station.quota import Result, check
from station.reports import (
    BALANCE_COLUMNS,
    DISPOSAL_COLUMNS,
    PROCESS_COLUMNS,
    BalanceRow,
    DisposalRow,
    Flow,
    FlowKind,
    Movement,
    MovementKind,
    Period,
    ProcessRow,
    Stock,
    Weighing,
    daily_balance,
    disposal_report,
    process_records,
    residual,
    to_csv,
    to_xlsx,
)
from station.tolerance import Band, Basis, Tolerance

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
FIVE = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)))
E = D("0.005")


# ---- 单日库存结余表 -----------------------------------------------------------------------


def test_opening_plus_in_minus_out_plus_adjustments_is_closing() -> None:
    opening = [Stock("A1", "黄板纸", D("1200.000")), Stock("B2", "PET", D("300"))]
    movements = [
        Movement("A1", "黄板纸", MovementKind.IN, D("512.500")),
        Movement("A1", "黄板纸", MovementKind.OUT, D("1000")),
        Movement("A1", "黄板纸", MovementKind.ADJUST, D("-2.5")),  # 盘亏
        Movement("C3", "铝屑", MovementKind.IN, D("80")),  # no opening stock
    ]
    closing = [
        Stock("A1", "黄板纸", D("710")),
        Stock("B2", "PET", D(300)),
        Stock("C3", "铝屑", D(80)),
    ]
    rows = daily_balance(opening, movements, closing)
    assert [(r.location, r.material) for r in rows] == [
        ("A1", "黄板纸"),
        ("B2", "PET"),
        ("C3", "铝屑"),
    ]
    a1 = rows[0]
    assert (a1.opening_kg, a1.in_kg, a1.out_kg, a1.adjust_kg, a1.closing_kg) == (
        D(1200),
        D("512.5"),
        D(1000),
        D("-2.5"),
        D(710),
    )
    assert all(r.residual_kg == 0 and not r.flagged for r in rows)
    assert residual(rows) == 0


def test_a_missing_movement_shows_as_a_flagged_residual() -> None:
    opening = [Stock("A1", "黄板纸", D(1000))]
    recorded = [Stock("A1", "黄板纸", D(1500))]  # the stock table saw a 500 kg receipt …
    rows = daily_balance(opening, [], recorded)  # … that the movements do not contain
    assert rows[0].residual_kg == D(500)
    assert rows[0].flagged
    assert residual(rows) == D(500)


def test_a_negative_closing_is_flagged_even_without_a_recorded_stock() -> None:
    rows = daily_balance([Stock("A1", "PET", D(10))], [Movement("A1", "PET", "out", D(11))])
    assert rows[0].closing_kg == D(-1)
    assert rows[0].recorded_kg is None
    assert rows[0].flagged


def test_a_recorded_stock_without_movements_gets_a_row() -> None:
    rows = daily_balance([], [], [Stock("Z9", "PET", D(5))])
    assert [(r.location, r.residual_kg, r.flagged) for r in rows] == [("Z9", D(5), True)]


keys = st.tuples(st.sampled_from(["A1", "A2", "B1"]), st.sampled_from(["黄板纸", "PET", "铝屑"]))
amounts = st.decimals(0, 5000, places=3)


@given(
    opening=st.dictionaries(keys, amounts, max_size=6),
    steps=st.lists(
        st.tuples(keys, st.sampled_from(list(MovementKind)), amounts, st.booleans()), max_size=40
    ),
)
def test_the_balance_closes_to_zero_for_any_valid_movements(opening, steps) -> None:
    """A running stock ledger (as the database keeps it) applies each movement; the report
    built from opening and movements alone must agree with it to the gram."""
    stock = dict(opening)
    movements = []
    for key, kind, amount, negative in steps:
        held = stock.get(key, D(0))
        if kind is MovementKind.OUT:
            amount = min(amount, held)  # valid: never ship what is not there
            stock[key] = held - amount
        elif kind is MovementKind.IN:
            stock[key] = held + amount
        else:
            amount = -min(amount, held) if negative else amount
            stock[key] = held + amount
        movements.append(Movement(*key, kind, amount))
    rows = daily_balance(
        [Stock(*k, v) for k, v in opening.items()],
        movements,
        [Stock(*k, v) for k, v in stock.items()],
    )
    assert residual(rows) == 0
    assert not any(r.flagged for r in rows)
    for r in rows:
        assert r.opening_kg + r.in_kg - r.out_kg + r.adjust_kg == r.closing_kg
    if movements:  # dropping any one non-zero movement breaks the balance by exactly its kg
        dropped = next((m for m in movements if m.kg), None)
        if dropped is not None:
            rest = list(movements)
            rest.remove(dropped)
            broken = daily_balance(
                [Stock(*k, v) for k, v in opening.items()],
                rest,
                [Stock(*k, v) for k, v in stock.items()],
            )
            sign = -1 if dropped.kind is MovementKind.OUT else 1
            assert residual(broken) == sign * dropped.kg


def test_movements_with_a_negative_in_or_out_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        daily_balance([], [Movement("A1", "PET", MovementKind.IN, D(-1))])


# ---- 过程记录表 -------------------------------------------------------------------------


def weighing(id_, minutes, a, b, **kw) -> Weighing:
    values = {
        "point": "receive",
        "material": "黄板纸",
        "operator": "张三",
        "scale": "地磅1",
        "frame_hash": "ab" * 32,
    } | kw
    result = check(None if a is None else D(a), D(b), FIVE, division_kg=E)
    return Weighing(id=id_, at=T0 + timedelta(minutes=minutes), check=result, **values)


def test_process_records_in_time_order_with_a_b_c_d_and_reweighs_linked() -> None:
    first = weighing(1, 10, "1000", "990", tier=2)
    redo = weighing(2, 20, "1000", "996", reweigh_of=1)
    early = weighing(3, 0, None, "50", tier=0)
    rows = process_records([first, redo, early])
    assert [r.id for r in rows] == [3, 1, 2]
    row = rows[1]
    assert (row.a, row.b, row.c, row.d, row.x) == (D(1000), D(990), D(5), D(-10), D("2.000"))
    assert (row.result, row.sign, row.tier, row.superseded_by) == ("anomaly", "shortfall", 2, 2)
    assert rows[2].reweigh_of == 1
    assert rows[0].result == "no_standard"
    assert all(r.consistent for r in rows)


def test_inconsistent_records_are_marked() -> None:
    good = weighing(1, 0, "100", "100")
    tampered_d = replace(good, check=replace(good.check, d=D(1)))
    tampered_result = replace(good, id=2, check=replace(good.check, result=Result.ANOMALY))
    no_frame = weighing(3, 0, "100", "100", frame_hash=None)
    manual = weighing(4, 0, "100", "100", frame_hash=None, manual=True, tier=1)
    rows = {r.id: r for r in process_records([tampered_d, tampered_result, no_frame, manual])}
    assert [rows[i].consistent for i in (1, 2, 3, 4)] == [False, False, False, True]


# ---- 再生资源处置报表 ---------------------------------------------------------------------


def flow(days, kind, kg, output=None, loss=False, result=Result.NORMAL, factory="东莞某纸品厂"):
    return Flow(T0 + timedelta(days=days), factory, "废纸箱", kind, D(kg), output, loss, result)


FLOWS = [
    flow(0, FlowKind.RECEIVED, "1000"),
    flow(0, FlowKind.RECEIVED, "500", result=Result.ANOMALY),
    flow(1, FlowKind.SORTED, "1200", "黄板纸"),
    flow(1, FlowKind.SORTED, "220", "杂质", loss=True),
    flow(2, FlowKind.BALED, "1150", "黄板纸"),
    flow(3, FlowKind.SHIPPED, "1150", "黄板纸", result=None),
    flow(4, FlowKind.RECEIVED, "300", result=Result.NO_STANDARD, factory="虎门某塑胶厂"),
    flow(31, FlowKind.RECEIVED, "800"),  # January
]


def test_disposal_report_per_month_factory_material() -> None:
    rows = disposal_report(FLOWS, Period.MONTH)
    assert [(r.period, r.factory) for r in rows] == [
        ("2026-12", "东莞某纸品厂"),
        ("2026-12", "虎门某塑胶厂"),
        ("2027-01", "东莞某纸品厂"),
    ]
    dec = rows[0]
    assert (dec.received_kg, dec.sorted_kg, dec.baled_kg, dec.shipped_kg) == (
        D(1500),
        D(1420),
        D(1150),
        D(1150),
    )
    assert dec.outputs == (("杂质", D(220)), ("黄板纸", D(1200)))
    assert (dec.recovered_kg, dec.loss_kg) == (D(1200), D(300))  # 220 kg impurities + 80 unweighed
    assert (dec.recovery_rate, dec.loss_rate) == (D("0.8000"), D("0.2000"))
    assert (dec.weighings, dec.anomalies, dec.no_standard) == (5, 1, 0)
    assert rows[1].no_standard == 1
    assert rows[1].recovery_rate == 0
    assert rows[2].received_kg == D(800)


def test_disposal_report_by_day_and_week_in_local_time() -> None:
    late = Flow(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "F", "M", FlowKind.RECEIVED, D(1))
    assert disposal_report([late], Period.DAY)[0].period == "2026-12-01"  # 00:30 in Shanghai
    assert disposal_report([late], Period.WEEK)[0].period == "2026-W49"
    assert disposal_report([late], Period.MONTH)[0].period == "2026-12"


def test_rates_are_none_without_receipts_and_always_sum_to_one() -> None:
    (row,) = disposal_report([flow(0, FlowKind.SHIPPED, "10", result=None)])
    assert (row.recovery_rate, row.loss_rate) == (None, None)
    thirds = [flow(0, FlowKind.RECEIVED, "3"), flow(0, FlowKind.SORTED, "1", "A")]
    (row,) = disposal_report(thirds)
    assert row.recovery_rate == D("0.3333")
    assert row.recovery_rate + row.loss_rate == 1


# ---- files ------------------------------------------------------------------------------


def test_csv_has_a_bom_chinese_headers_numbers_and_escaped_formulas() -> None:
    rows = [
        BalanceRow(
            "=cmd|'/c calc'!A1", "黄板纸", D(1), D(2), D(0), D("-0.5"), D("2.5"), None, D(0), False
        ),
        BalanceRow("@SUM(A1)", "+PET", D(0), D(0), D(0), D(0), D(0), D(1), D(1), True),
    ]
    data = to_csv(rows, BALANCE_COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["库位", "物料", "期初结存（千克）"]
    assert lines[1][0] == "'=cmd|'/c calc'!A1"
    assert lines[1][5] == "-0.5"  # a negative number is a number, not a formula
    assert lines[1][7] == ""  # no recorded stock
    assert lines[1][9] == "否"
    assert lines[2][:2] == ["'@SUM(A1)", "'+PET"]
    assert lines[2][9] == "是"
    assert data.count(b"\r\n") == 3


def test_headers_and_yes_no_go_through_the_callers_translation() -> None:
    english = {"库位": "Location", "是": "yes"}
    row = BalanceRow("A1", "PET", D(0), D(0), D(0), D(0), D(0), D(1), D(1), True)
    data = to_csv([row], BALANCE_COLUMNS, translate=lambda m: english.get(m, m))
    header, line = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert (header[0], line[9]) == ("Location", "yes")
    data = to_xlsx([row], BALANCE_COLUMNS, "t", translate=lambda m: english.get(m, m))
    sheet = load_workbook(io.BytesIO(data)).active
    assert (sheet["A1"].value, sheet["J2"].value) == ("Location", "yes")


def test_csv_writes_local_times_and_joins_outputs() -> None:
    data = to_csv(process_records([weighing(1, 0, "100", "90", tier=3)]), PROCESS_COLUMNS)
    line = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1]
    assert line[1] == "2026-12-01 10:00:00"
    data = to_csv(disposal_report(FLOWS), DISPOSAL_COLUMNS)
    assert "杂质 220；黄板纸 1200" in data.decode("utf-8-sig")


def test_xlsx_keeps_numbers_escapes_text_and_names_the_sheet() -> None:
    rows = process_records([weighing(1, 0, "1000", "990", tier=2, operator="=HYPERLINK(1)")])
    data = to_xlsx(rows, PROCESS_COLUMNS, "过程记录表 2026/12/01")
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "过程记录表 2026 12 01"
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["记录号", "称重时间", "控制点", "物料", "定额标准 A（千克）"]
    values = dict(zip(header, (c.value for c in sheet[2]), strict=True))
    assert values["定额标准 A（千克）"] == 1000
    assert values["偏差 D（千克）"] == -10
    assert values["称重时间"] == datetime(2026, 12, 1, 10, 0)
    assert values["操作员"] == "'=HYPERLINK(1)"
    assert sheet["A2"].data_type == "n"
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize(
    ("columns", "row_type"),
    [(BALANCE_COLUMNS, BalanceRow), (PROCESS_COLUMNS, ProcessRow), (DISPOSAL_COLUMNS, DisposalRow)],
)
def test_every_column_names_a_row_attribute(columns, row_type) -> None:
    names = set(row_type.__dataclass_fields__)
    assert {c.key for c in columns} <= names
    assert all(c.header for c in columns)


def test_the_formula_escape() -> None:
    assert [reports.safe_text(v) for v in ["=1", "+1", "-x", "@a", "\tx", "\rx", "ok", ""]] == [
        "'=1",
        "'+1",
        "'-x",
        "'@a",
        "'\tx",
        "'\rx",
        "ok",
        "",
    ]
