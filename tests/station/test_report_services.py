"""The three reports from the database on a known small history (tests/station/report_flow.py):
figures, the balance checked to zero (and a broken ledger flagged), rates, filters and paging,
and scoping — another station sees nothing of this one."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Forbidden, Invalid
from station import quota
from station import reports as pure
from station.models import Package, PackageState, Stage, StockMove
from station.services import reports
from tests.factories import make_org, make_user
from tests.station import report_flow
from tests.station.conftest import actor

TZ = report_flow.TZ
NOV30, DEC1 = date(2026, 11, 30), date(2026, 12, 1)


@pytest.fixture
def history(station):
    return report_flow.run(station)


def name(code: str) -> str:
    return db.session.scalar(sa.select(Category.name_zh).where(Category.code == code))


def test_the_daily_balance_closes_to_zero_over_two_days(app, station, history):
    (day1,) = reports.inventory(station.operator, NOV30, TZ)
    assert (day1.location, day1.material) == ("A-01 一号库位", "高值塑料")
    assert (day1.opening_kg, day1.in_kg, day1.out_kg, day1.adjust_kg) == (0, Decimal("500.2"), 0, 0)
    assert (day1.closing_kg, day1.recorded_kg, day1.residual_kg, day1.flagged) == (
        Decimal("500.2"),
        Decimal("500.2"),
        0,
        False,
    )
    (day2,) = reports.inventory(station.operator, DEC1, TZ)
    assert (day2.opening_kg, day2.in_kg, day2.out_kg, day2.adjust_kg) == (
        Decimal("500.2"),
        0,
        Decimal("500"),
        Decimal("-0.2"),
    )
    assert (day2.closing_kg, day2.residual_kg, day2.flagged) == (0, 0, False)
    assert reports.inventory(station.operator, date(2026, 11, 29), TZ) == []


def test_a_ledger_that_disagrees_with_the_stock_is_flagged(app, station, history):
    move = db.session.scalar(sa.select(StockMove).where(StockMove.kind == "adjust"))
    db.session.delete(move)  # the stock-take's −0.2 kg lost from the ledger
    db.session.commit()
    (day2,) = reports.inventory(station.operator, DEC1, TZ)
    assert day2.closing_kg == Decimal("0.2")
    assert (day2.recorded_kg, day2.residual_kg, day2.flagged) == (0, Decimal("-0.2"), True)
    assert pure.residual([day2]) == Decimal("-0.2")


def test_a_package_in_stock_without_its_ledger_entry_is_flagged(app, station, history):
    bale = db.session.scalar(sa.select(Package).where(Package.label == history["bale"]))
    bale.state, bale.remaining_g = PackageState.IN_STOCK, 100_000  # back in stock by hand
    bale.location_id = db.session.scalar(sa.select(StockMove.location_id))
    db.session.commit()
    (day2,) = reports.inventory(station.operator, DEC1, TZ)
    assert (day2.closing_kg, day2.recorded_kg, day2.residual_kg) == (0, Decimal(100), Decimal(100))
    assert day2.flagged


def test_process_records_show_every_weighing_with_its_check(app, station, history):
    page = reports.process(station.operator, tz=TZ, day=NOV30)
    assert page.total == 11  # 4 delivered, 2 received, 2 sorted + their total, 1 baled, 1 stored
    assert [r.point for r in page.rows][:6] == ["送料"] * 4 + ["收料", "分拣"]
    received = page.rows[4]
    assert (received.a, received.b, received.c, received.d) == (
        Decimal("1000"),
        Decimal("998"),
        Decimal("20"),
        Decimal("-2"),
    )
    assert (received.result, received.tier, received.manual) == ("normal", None, False)
    assert received.scale == "收料地磅"
    assert len(received.frame_hash) == 64
    assert received.consistent
    total = next(r for r in page.rows if r.point == "分拣（合计）")
    assert total.manual
    assert total.frame_hash is None
    short = page.rows[-1]
    assert (short.d, short.result, short.sign, short.tier) == (
        Decimal("-100"),
        "anomaly",
        "shortfall",
        3,
    )


def test_stage_totals_raise_no_alert_of_their_own(app, station, history):
    """A sorting or outbound total is computed, not typed in: only the 100 kg short receipt
    of the history alerts, not every sort total as if it were a manual entry."""
    from station.models import Alert

    alerts = db.session.scalars(sa.select(Alert)).all()
    assert [(a.tier, a.weighing.stage) for a in alerts] == [(3, Stage.RECEIVE)]


def test_process_records_filter_and_page(app, station, history):
    anomalies = reports.process(station.operator, tz=TZ, result=quota.Result.ANOMALY)
    assert [(r.point, r.d) for r in anomalies.rows] == [("收料", Decimal("-100"))]
    sorts = reports.process(station.operator, tz=TZ, stage=Stage.SORT)
    assert sorts.total == 3
    first = reports.process(station.operator, tz=TZ, page=1, per_page=5)
    third = reports.process(station.operator, tz=TZ, page=3, per_page=5)
    assert (first.total, first.pages, len(first.rows), len(third.rows)) == (13, 3, 5, 3)
    assert {r.id for r in first.rows}.isdisjoint({r.id for r in third.rows})
    assert reports.process(station.operator, tz=TZ, day=DEC1).total == 2  # the load and its total
    with pytest.raises(Invalid) as bad:
        reports.process(station.operator, tz=TZ, per_page=500)
    assert "per_page" in bad.value.fields


def test_the_disposal_report_per_month(app, station, history):
    nov, dec = reports.disposal(
        station.operator, first=NOV30, last=DEC1, period=pure.Period.MONTH, tz=TZ
    )
    mixed = name("PL-MIXED")
    assert (nov.period, nov.factory, nov.material) == ("2026-11", station.factory.legal_name, mixed)
    assert (nov.received_kg, nov.sorted_kg, nov.recovered_kg) == (
        Decimal("1898"),
        Decimal("969.8"),
        Decimal("969.8"),
    )
    assert nov.outputs == (("二类纸", Decimal("119.8")), ("高值塑料", Decimal("850")))
    assert (nov.loss_kg, nov.baled_kg, nov.shipped_kg) == (Decimal("928.2"), Decimal("500.2"), 0)
    assert (nov.recovery_rate, nov.loss_rate) == (Decimal("0.5110"), Decimal("0.4890"))
    assert (nov.weighings, nov.anomalies, nov.no_standard) == (5, 1, 0)
    assert (dec.period, dec.material, dec.shipped_kg, dec.received_kg) == ("2026-12", mixed, 500, 0)
    assert dec.recovery_rate is None
    by_day = reports.disposal(
        station.operator, first=NOV30, last=DEC1, period=pure.Period.DAY, tz=TZ
    )
    assert [r.period for r in by_day] == ["2026-11-30", "2026-12-01"]


def test_a_weighed_loss_line_counts_as_loss(app, station, history):
    """Sorting weighs the 损耗 line too: it is sorted output but not recovered."""
    from tests.station.report_flow import TRUCK, setup, stages

    s = station
    d = setup.create_delivery(
        s.operator,
        station_id=s.org.id,
        factory_id=s.factory.id,
        number="SL-003",
        grade="PL-MIXED",
        record_ids=[s.record.id],
        vehicle_plate="粤S12345",
        now=report_flow.T0,
    )
    from station.services.weigh import Gross

    def weigh(kg):
        return Gross(Decimal(kg), s.scale.id, b"frame")

    w = stages.receive(s.operator, d.id, weigh("5200"), [TRUCK], now=report_flow.T0, tz=TZ)
    label = db.session.get(Package, w.package_id).label
    stages.sort(
        s.operator,
        label,
        [stages.Output("高值塑料", weigh("850")), stages.Output("损耗", weigh("30"))],
        now=report_flow.T0,
        tz=TZ,
    )
    db.session.commit()
    (nov,) = reports.disposal(s.operator, first=NOV30, last=NOV30, period=pure.Period.DAY, tz=TZ)
    assert nov.sorted_kg == Decimal("1849.8")
    assert nov.recovered_kg == Decimal("1819.8")
    assert dict(nov.outputs)["损耗"] == Decimal("30")


def test_bad_periods_are_refused_naming_the_field(app, station, history):
    with pytest.raises(Invalid) as backwards:
        reports.disposal(station.operator, first=DEC1, last=NOV30, period=pure.Period.DAY, tz=TZ)
    assert "to" in backwards.value.fields
    with pytest.raises(Invalid) as long:
        reports.disposal(
            station.operator, first=date(2025, 1, 1), last=DEC1, period=pure.Period.DAY, tz=TZ
        )
    assert "to" in long.value.fields


def test_another_station_sees_nothing_and_may_not_name_this_one(app, station, history):
    other_org = make_org(OrgKind.STATION)
    other = actor(make_user(other_org, Role.MANAGER))
    db.session.commit()
    assert reports.inventory(other, NOV30, TZ) == []
    assert reports.process(other, tz=TZ).total == 0
    assert reports.disposal(other, first=NOV30, last=DEC1, period=pure.Period.MONTH, tz=TZ) == []
    with pytest.raises(Forbidden):
        reports.process(other, tz=TZ, station_id=station.org.id)
    factory = actor(make_user(station.factory, Role.MANAGER))
    with pytest.raises(Forbidden):
        reports.inventory(factory, NOV30, TZ, station_id=station.org.id)
    with pytest.raises(Invalid) as missing:
        reports.inventory(factory, NOV30, TZ)
    assert "station" in missing.value.fields


def test_government_reads_a_station_it_names(app, station, history):
    gov = actor(make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER))
    db.session.commit()
    assert reports.process(gov, tz=TZ, station_id=station.org.id).total == 13
