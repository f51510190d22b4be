"""The six stages through the services: a delivery of mixed plastic from a factory is
received against its production records, sorted by the ratios, baled, stored and sold, with
every check, alert, label and fund rule on the way."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Conflict, Invalid, NotFound
from marketplace.notify.models import Notification
from marketplace.trading import escrow, ledger
from station import quota
from station.models import Alert, Package, PackageLink, PackageState, TareKind, Weighing
from station.services import outbound, setup, stages
from station.services.weigh import TareSpec, manual
from tests.station.conftest import T0

TZ = "Asia/Shanghai"
BOX = (TareSpec(TareKind.CONTAINER, "BOX-60"),)
TRUCK = TareSpec(TareKind.VEHICLE, "粤S12345")
PALLET = TareSpec(TareKind.PALLET, "PLT-1210")


def delivered(s, weigh, number="SL-001"):
    delivery = setup.create_delivery(
        s.operator,
        station_id=s.org.id,
        factory_id=s.factory.id,
        number=number,
        grade="PL-MIXED",
        record_ids=[s.record.id],
        vehicle_plate="粤s12345",
        now=T0,
    )
    packages = stages.deliver(s.operator, delivery.id, [(weigh("252.5"), BOX)] * 4, now=T0, tz=TZ)
    return delivery, packages


def test_a_delivery_goes_through_every_stage(app, station, weigh):
    s = station
    delivery, packages = delivered(s, weigh)
    assert [p.net_g for p in packages] == [250_000] * 4
    assert packages[0].label.startswith(f"ST{s.org.id:02d}-DLV-20261130-")
    receipt_weighing = stages.receive(
        s.operator, delivery.id, weigh("5198"), [TRUCK], now=T0 + timedelta(hours=2), tz=TZ
    )
    # A = 400 箱 × 2.5 kg/箱 = 1000 kg; B = 5198 − 4200 = 998; C = max(2 kg, 2 %) = 20 kg
    assert (receipt_weighing.standard_g, receipt_weighing.net_g) == (1_000_000, 998_000)
    assert (receipt_weighing.deviation_g, receipt_weighing.tolerance_g) == (-2_000, 20_000)
    assert receipt_weighing.result == "normal"
    assert receipt_weighing.sign == "shortfall"
    receipt = db.session.get(Package, receipt_weighing.package_id)
    assert {link.parent_id for link in db.session.scalars(sa.select(PackageLink))} == {
        p.id for p in packages
    }
    assert all(p.state is PackageState.CONSUMED for p in packages)

    sorted_ = stages.sort(
        s.operator,
        receipt.label.lower(),  # a hand-typed scan still finds its package
        [
            stages.Output("高值塑料", weigh("850")),
            stages.Output("二类纸", weigh("119.8")),
        ],
        now=T0 + timedelta(hours=3),
        tz=TZ,
    )
    plastic, paper, total = sorted_
    assert plastic.standard_g == 848_300  # 998 × 0.85
    assert paper.standard_g == 119_760  # 998 × 0.12
    assert total.total is True
    assert (total.standard_g, total.net_g) == (968_060, 969_800)  # the 3 % loss is not weighed
    assert {w.result for w in sorted_} == {"normal"}
    plastic_label = db.session.get(Package, plastic.package_id).label

    baled = stages.bale(
        s.operator,
        {plastic_label: Decimal("500")},
        weigh("518.2"),
        [PALLET],
        now=T0 + timedelta(hours=4),
        tz=TZ,
    )
    assert (baled.standard_g, baled.net_g, baled.result) == (500_000, 500_200, "normal")
    assert db.session.get(Package, plastic.package_id).remaining_g == 350_000
    bale = db.session.get(Package, baled.package_id)
    stored = stages.warehouse_in(
        s.operator, bale.label, "a-01", weigh("518.2"), [PALLET], now=T0 + timedelta(hours=5)
    )
    assert stored.result == "normal"
    assert bale.state is PackageState.IN_STOCK

    plan = outbound.create_plan(
        s.operator,
        buyer_id=s.buyer.id,
        grade="PL-PP-REGRIND",
        planned_kg=Decimal("500"),
        unit_price_fen_per_t=520_000,
        now=T0,
    )
    assert outbound.required_fen(plan) == 293_800  # 500 kg × 5,200 CNY/t × 1.13
    with pytest.raises(Conflict) as short:
        outbound.approve(s.manager, plan.id, now=T0)
    assert "escrow" in short.value.fields
    escrow.post(ledger.top_up(s.buyer.id, 300_000))
    outbound.approve(s.manager, plan.id, now=T0)
    assert escrow.balances(s.buyer.id) == {"available": 6_200, "held": 293_800}
    load = outbound.load(
        s.operator,
        plan.id,
        vehicle_plate="粤S12345",
        gross=weigh("4700.4"),
        vehicle_tare=TRUCK,
        labels=[bale.label],
        vehicle_capacity_kg=Decimal("10000"),
        now=T0 + timedelta(hours=6),
    )
    assert (load.standard_g, load.net_g, load.result) == (500_000, 500_400, "normal")
    # 500.4 kg × 5,200 × 1.13 = 2,940.35 CNY: 2.35 above what was held, taken from available
    assert escrow.balances(s.buyer.id) == {"available": 6_200 - 235, "held": 0}
    assert escrow.balances(s.org.id)["available"] == 294_035
    assert bale.state is PackageState.SHIPPED
    db.session.commit()


def test_a_shortfall_raises_a_graded_alert_and_announces_it(app, station, weigh):
    s = station
    delivery, _ = delivered(s, weigh)
    weighing = stages.receive(
        s.operator, delivery.id, weigh("5150"), [TRUCK], now=T0 + timedelta(hours=1), tz=TZ
    )
    # B = 950: D = −50 kg against C = 20 kg, x = 2.5 → tier 2 (workshop)
    assert (weighing.result, weighing.sign, weighing.ratio_x) == (
        "anomaly",
        "shortfall",
        Decimal("2.5000"),
    )
    alert = db.session.scalar(sa.select(Alert))
    assert (alert.tier, alert.state, alert.reason) == (2, "open", "tolerance")
    db.session.commit()
    note = db.session.scalar(sa.select(Notification).where(Notification.event == "station.alert"))
    assert note.organization_id == s.org.id
    assert note.link == f"/station/alerts/{alert.id}"


def test_manual_entry_needs_a_reason_and_raises_the_tier(app, station, weigh):
    s = station
    delivery, _ = delivered(s, weigh)
    with pytest.raises(Invalid) as err:
        manual("5198", " ")
    assert "manual_reason" in err.value.fields
    weighing = stages.receive(
        s.operator,
        delivery.id,
        manual("5198", "地磅通讯故障，按磅单录入"),
        [TRUCK],
        now=T0 + timedelta(hours=1),
        tz=TZ,
    )
    assert weighing.manual is True
    assert weighing.result == "normal"
    assert weighing.tier == 1  # a normal manual weighing is reviewed by the shift leader


def test_no_referenced_record_is_no_standard_not_a_silent_pass(app, station, weigh):
    s = station
    delivery = setup.create_delivery(
        s.operator,
        station_id=s.org.id,
        factory_id=s.factory.id,
        number="SL-NOREC",
        grade="PL-MIXED",
        record_ids=[],
        now=T0,
    )
    weighing = stages.receive(s.operator, delivery.id, weigh("5000"), [TRUCK], now=T0, tz=TZ)
    assert weighing.result == "no_standard"
    assert db.session.scalar(sa.select(Alert)).tier == 0


def test_stages_out_of_order_expired_tares_and_unknown_labels_are_refused(app, station, weigh):
    s = station
    delivery, packages = delivered(s, weigh)
    with pytest.raises(Conflict):  # a delivered package is not a receipt: receive first
        stages.sort(
            s.operator, packages[0].label, [stages.Output("高值塑料", weigh("1"))], now=T0, tz=TZ
        )
    with pytest.raises(NotFound):
        stages.sort(s.operator, "ST99-RCV-20261130-0001", [], now=T0, tz=TZ)
    receipt = stages.receive(s.operator, delivery.id, weigh("5198"), [TRUCK], now=T0, tz=TZ)
    with pytest.raises(Conflict):
        stages.receive(s.operator, delivery.id, weigh("5198"), [TRUCK], now=T0, tz=TZ)
    label = db.session.get(Package, receipt.package_id).label
    with pytest.raises(Conflict):  # a receipt is not a sorted output: it cannot be baled
        stages.bale(s.operator, {label: Decimal("1")}, weigh("20"), [PALLET], now=T0, tz=TZ)
    with pytest.raises(quota.ExpiredTare):
        stages.sort(
            s.operator,
            label,
            [stages.Output("高值塑料", weigh("870"), (TareSpec(TareKind.PALLET, "PLT-OLD"),))],
            now=T0,
            tz=TZ,
        )
    with pytest.raises(Invalid):
        stages.sort(s.operator, label, [stages.Output("铜", weigh("1"))], now=T0, tz=TZ)


def test_ratios_must_sum_to_one_with_a_residue_line(app, station, weigh):
    with pytest.raises(Invalid):
        setup.add_ratio_set(
            station.operator,
            "PA-MIXED",
            [
                {"label": "黄板纸", "ratio": "0.9"},
                {"label": "损耗", "ratio": "0.05", "residue": True},
            ],
            T0,
        )


def test_weighings_are_never_updated(app, station, weigh):
    s = station
    delivery, _ = delivered(s, weigh)
    weighing = stages.receive(s.operator, delivery.id, weigh("5198"), [TRUCK], now=T0, tz=TZ)
    db.session.commit()
    weighing.net_g = 1
    with pytest.raises(Exception, match="never edited"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Weighing, weighing.id).net_g == 998_000


def test_a_reweigh_is_a_new_record_linked_to_the_old_one(app, station, weigh):
    s = station
    delivery, _ = delivered(s, weigh)
    first = stages.receive(s.operator, delivery.id, weigh("5150"), [TRUCK], now=T0, tz=TZ)
    assert first.result == "anomaly"
    second = stages.reweigh(s.operator, first.id, weigh("5198"), [TRUCK], now=T0)
    assert (second.replaces_id, second.result, second.standard_g) == (
        first.id,
        "normal",
        1_000_000,
    )
    assert db.session.get(Weighing, first.id).net_g == 950_000  # the first record stays
    assert db.session.get(Package, first.package_id).net_g == 998_000
    with pytest.raises(Conflict):  # only the latest record can be re-weighed
        stages.reweigh(s.operator, first.id, weigh("5198"), [TRUCK], now=T0)
