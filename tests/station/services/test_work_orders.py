"""Work orders at the scale: every stage books a weighing against an order of its stage, today,
assigned to the operator; every other booking is refused naming `work_order`; the order's line
is what the repeat rules count; a 复称 keeps the order; a closed order takes no more."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.trading import escrow, ledger
from station.models import Alert, Delivery, Package, Stage, Weighing
from station.services import outbound, setup, stages, work_orders
from tests.factories import make_org, make_user
from tests.station.conftest import T0, actor
from tests.station.services.test_stages import PALLET, TRUCK, TZ, delivered

DAY = T0.date()  # 2026-11-30, 09:00 in Shanghai


def order(s, number, stage, *, line="L1", work_date=DAY, assignees=None):
    who = assignees if assignees is not None else [s.operator.user_id]
    return setup.create_work_order(
        s.manager,
        number=number,
        stage=stage,
        line=line,
        shift="白班",
        work_date=work_date,
        assignees=who,
    )


def test_every_stage_books_its_weighings_against_an_order(app, station, weigh):
    s = station
    orders = {st: order(s, f"WO-{st.value}", st, line=f"线{i}") for i, st in enumerate(Stage)}
    delivery = setup.create_delivery(
        s.operator,
        station_id=s.org.id,
        factory_id=s.factory.id,
        number="SL-WO",
        grade="PL-MIXED",
        record_ids=[s.record.id],
        vehicle_plate="粤S12345",
        now=T0,
    )
    made = stages.deliver(
        s.operator, delivery.id, [(weigh("252.5"), ())], now=T0, tz=TZ, work_order="wo-deliver"
    )
    deliver_w = db.session.scalar(sa.select(Weighing).where(Weighing.package_id == made[0].id))
    received = stages.receive(
        s.operator, delivery.id, weigh("4450"), [TRUCK], now=T0, tz=TZ, work_order="WO-RECEIVE"
    )
    receipt = db.session.get(Package, received.package_id)
    sorted_ = stages.sort(
        s.operator,
        receipt.label,
        [stages.Output("高值塑料", weigh("212.5"))],
        now=T0,
        tz=TZ,
        work_order=orders[Stage.SORT].id,  # by id as well as by number
    )
    plastic = db.session.get(Package, sorted_[0].package_id)
    baled = stages.bale(
        s.operator,
        {plastic.label: Decimal("200")},
        weigh("218"),
        [PALLET],
        now=T0,
        tz=TZ,
        work_order=str(orders[Stage.BALE].id),
    )
    bale = db.session.get(Package, baled.package_id)
    stored = stages.warehouse_in(
        s.operator,
        bale.label,
        "A-01",
        weigh("218"),
        [PALLET],
        now=T0,
        tz=TZ,
        work_order="WO-WAREHOUSE_IN",
    )
    plan = outbound.create_plan(
        s.operator,
        buyer_id=s.buyer.id,
        grade="PL-PP-REGRIND",
        planned_kg=Decimal("200"),
        unit_price_fen_per_t=520_000,
        now=T0,
    )
    escrow.post(ledger.top_up(s.buyer.id, 200_000))
    outbound.approve(s.manager, plan.id, now=T0)
    loaded = outbound.load(
        s.operator,
        plan.id,
        vehicle_plate="粤S12345",
        gross=weigh("4400"),
        vehicle_tare=TRUCK,
        labels=[bale.label],
        vehicle_capacity_kg=None,
        now=T0,
        tz=TZ,
        work_order="WO-WAREHOUSE_OUT",
    )
    booked = [deliver_w, received, *sorted_, baled, stored, loaded]
    expected = [Stage.DELIVER, Stage.RECEIVE, Stage.SORT, Stage.SORT, Stage.BALE]
    expected += [Stage.WAREHOUSE_IN, Stage.WAREHOUSE_OUT]
    assert [w.work_order_id for w in booked] == [orders[st].id for st in expected]
    assert [w.line for w in booked] == [orders[st].line for st in expected]
    labels_check = db.session.scalar(
        sa.select(Weighing).where(Weighing.total.is_(True), Weighing.stage == Stage.WAREHOUSE_OUT)
    )
    assert (labels_check.work_order_id, labels_check.line) == (loaded.work_order_id, "线5")


def _refused(s, weigh, ref, error, field="work_order", **receive):
    delivery, _ = delivered(s, weigh, number=f"SL-{ref}")
    db.session.commit()
    with pytest.raises(error) as refused:
        stages.receive(
            s.operator,
            delivery.id,
            weigh("5198"),
            [TRUCK],
            now=T0,
            tz=TZ,
            work_order=ref,
            **receive,
        )
    db.session.rollback()  # as the web shell does: nothing of the refused step stays
    assert field in refused.value.fields
    assert db.session.get(Delivery, delivery.id).received_at is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Weighing).where(Weighing.stage == Stage.RECEIVE)
        )
        == 0
    )
    return refused.value


def test_each_wrong_booking_is_refused_naming_work_order(app, station, weigh):
    s = station
    other = make_org(OrgKind.STATION)
    other_manager = actor(make_user(other, Role.MANAGER))
    foreign = setup.create_work_order(
        other_manager,
        number="WO-OTHER",
        stage=Stage.RECEIVE,
        line="L1",
        shift="白班",
        work_date=DAY,
        assignees=[other_manager.user_id],
    )
    order(s, "WO-SORT", Stage.SORT)
    closed = order(s, "WO-CLOSED", Stage.RECEIVE)
    work_orders.close(s.manager, closed.id, now=T0 - timedelta(hours=1))
    order(s, "WO-YESTERDAY", Stage.RECEIVE, work_date=DAY - timedelta(days=1))
    order(s, "WO-MANAGER", Stage.RECEIVE, assignees=[s.manager.user_id])
    order(s, "WO-L1", Stage.RECEIVE, line="L1")
    db.session.commit()

    assert isinstance(_refused(s, weigh, "WO-OTHER", Invalid), Invalid)  # another station's
    assert _refused(s, weigh, str(foreign.id), Invalid).fields["work_order"] == "unknown"
    assert _refused(s, weigh, "NOPE", Invalid).fields["work_order"] == "unknown"
    assert _refused(s, weigh, "WO-SORT", Invalid).fields["work_order"] == "stage sort"
    assert _refused(s, weigh, "WO-CLOSED", Conflict).fields["work_order"] == "closed"
    day = _refused(s, weigh, "WO-YESTERDAY", Invalid)
    assert day.fields["work_order"] == "work date 2026-11-29"
    assert _refused(s, weigh, "WO-MANAGER", Forbidden).fields["work_order"] == "not assigned"
    _refused(s, weigh, "WO-L1", Invalid, field="line", line="L2")  # the order says L1


def test_the_work_date_is_the_local_day_of_the_weighing(app, station, weigh):
    s = station
    order(s, "WO-1201", Stage.RECEIVE, work_date=date(2026, 12, 1))
    delivery, _ = delivered(s, weigh)
    # 16:30 UTC on 30 November is 00:30 on 1 December in Shanghai
    late = T0.replace(hour=16, minute=30)
    weighing = stages.receive(
        s.operator, delivery.id, weigh("5198"), [TRUCK], now=late, tz=TZ, work_order="WO-1201"
    )
    assert weighing.work_order_id is not None


def test_the_orders_line_is_what_the_repeat_rules_count(app, station, weigh):
    s = station
    order(s, "WO-L7", Stage.RECEIVE, line="L7")
    _, packages = delivered(s, weigh, number="SL-HIST")
    history = db.session.scalars(
        sa.select(Weighing).where(Weighing.package_id.in_([p.id for p in packages]))
    ).all()
    others = [make_user(s.org, Role.OPERATOR) for _ in range(2)]
    for w, who in zip(history, others, strict=False):  # two tier-1 alerts on line L7 today
        db.session.add(
            Alert(
                station_id=s.org.id,
                weighing_id=w.id,
                tier=1,
                base_tier=1,
                reason="tolerance",
                operator_id=who.id,
                line="L7",
                opened_at=T0 - timedelta(hours=1),
            )
        )
    plain, _ = delivered(s, weigh, number="SL-PLAIN")
    booked, _ = delivered(s, weigh, number="SL-BOOKED")
    db.session.query(Delivery).filter(Delivery.id.in_([plain.id, booked.id])).update(
        {"vehicle_plate": ""}  # only the line may repeat, not the vehicle
    )
    # B = 970: D = −30 kg against C = 20 kg, x = 1.5 → tier 1 on its own
    alone = stages.receive(s.operator, plain.id, weigh("5170"), [TRUCK], now=T0, tz=TZ)
    assert (alone.line, alone.tier) == ("", 1)
    db.session.query(Alert).filter(Alert.weighing_id == alone.id).delete()  # a fresh day's count
    on_line = stages.receive(
        s.operator, booked.id, weigh("5170"), [TRUCK], now=T0, tz=TZ, work_order="WO-L7"
    )
    assert (on_line.line, on_line.tier) == ("L7", 2)  # third tier 1 on L7 today → tier 2
    alert = db.session.scalar(sa.select(Alert).where(Alert.weighing_id == on_line.id))
    assert (alert.line, alert.base_tier, alert.tier, "repeat" in alert.reason) == ("L7", 1, 2, True)


def test_a_reweigh_keeps_the_order_even_once_closed(app, station, weigh):
    s = station
    booked = order(s, "WO-R", Stage.RECEIVE, line="L3")
    delivery, _ = delivered(s, weigh)
    first = stages.receive(
        s.operator, delivery.id, weigh("5150"), [TRUCK], now=T0, tz=TZ, work_order="WO-R"
    )
    work_orders.close(s.manager, booked.id, now=T0 + timedelta(hours=1))
    second = stages.reweigh(s.manager, first.id, weigh("5198"), [TRUCK], now=T0 + timedelta(days=1))
    assert (second.work_order_id, second.line, second.replaces_id) == (booked.id, "L3", first.id)


def test_closing_an_order(app, station):
    s = station
    booked = order(s, "WO-C", Stage.SORT)
    viewer = actor(make_user(s.org, Role.VIEWER))
    with pytest.raises(Forbidden):
        work_orders.close(viewer, booked.id, now=T0)
    other = actor(make_user(make_org(OrgKind.STATION), Role.MANAGER))
    with pytest.raises(NotFound):
        work_orders.close(other, booked.id, now=T0)
    assert work_orders.close(s.operator, booked.id, now=T0).closed_at == T0
    with pytest.raises(Conflict) as again:
        work_orders.close(s.manager, booked.id, now=T0)
    assert again.value.fields == {"work_order": "closed"}
    with pytest.raises(Conflict) as duplicate:
        order(s, "wo-c", Stage.SORT)
    assert duplicate.value.fields == {"number": "exists"}


def test_the_desk_offers_todays_open_orders_of_the_stage_assigned_to_me(app, station):
    s = station
    mine = order(s, "WO-B", Stage.SORT)
    order(s, "WO-A", Stage.SORT, assignees=[s.manager.user_id])
    order(s, "WO-BALE", Stage.BALE)
    order(s, "WO-OLD", Stage.SORT, work_date=DAY - timedelta(days=1))
    shut = order(s, "WO-SHUT", Stage.SORT)
    work_orders.close(s.manager, shut.id, now=T0)
    assert work_orders.open_for(s.org.id, Stage.SORT, s.operator.user_id, DAY) == [mine]
