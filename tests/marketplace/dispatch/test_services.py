"""Pickup requests from trades and station outbound plans, the planning job, hand moves
re-checked by the independent checker, publishing, and the driver's confirmation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.time import utcnow
from marketplace.dispatch import services, sources
from marketplace.dispatch.models import PickupRequest
from marketplace.passports import passport_id
from marketplace.trading.models import Trade, TradeStatus
from passport.services import store
from tests.factories import make_org, make_user
from tests.marketplace.conftest import archive
from tests.marketplace.dispatch.conftest import DAY, actor, wait_planned


def test_requests_come_from_scheduled_trades_and_approved_outbound_plans(
    carrier, scheduled, outbound
):
    added = sources.gather(DAY)
    db.session.commit()
    by_source = {r.source: r for r in added}
    trade = by_source["trade"]
    assert trade.source_id == scheduled
    assert trade.kg == Decimal("12500.000")
    assert (trade.window_start_s, trade.window_end_s) == (8 * 3600, 17 * 3600 + 1800)
    assert trade.dest_kind == "plant"
    assert trade.site_name.endswith(" 长安一厂")
    station = by_source["outbound"]
    assert station.source_id == outbound.id
    assert station.kg == Decimal("3000.000")
    assert station.dest_name.endswith(" 麻涌造纸厂")
    assert sources.gather(DAY) == []  # gathering twice adds nothing
    assert db.session.scalar(sa.select(sa.func.count(PickupRequest.id))) == 2


def _plan(carrier, n=3):
    ids = [v.id for v in carrier.vehicles[:n]]
    plan = services.start_plan(actor(carrier), DAY, ids, time_limit_s=2)
    return wait_planned(plan.id)


def test_planning_job_writes_routes_kpis_and_drops(carrier, scheduled, outbound):
    plan = _plan(carrier)
    assert plan.state == "draft", plan.error
    assert plan.valid
    assert plan.violations == []
    kinds = sorted((s.request.source, s.kind) for s in plan.stops)
    assert kinds == [("outbound", "delivery"), ("outbound", "pickup")]
    # 12.5 t fits none of the trucks (8 t at most): dropped with its reason, not lost
    trade_request = db.session.scalar(
        sa.select(PickupRequest).where(PickupRequest.source == "trade")
    )
    assert [(d["request_id"], d["reason"]) for d in plan.dropped] == [
        (trade_request.id, "over_capacity")
    ]
    pickup = next(s for s in plan.stops if s.kind == "pickup")
    assert 8 * 3600 <= pickup.start_s <= 17 * 3600 + 1800  # inside the station's hours
    assert plan.kpis["plan"]["km"] > 0
    assert plan.kpis["baseline"]["co2_kg"] > 0
    assert plan.kpis["plan"]["vehicles"] == 1


def test_hand_move_is_rechecked_violations_block_publishing(carrier, scheduled, outbound):
    me = actor(carrier)
    plan = _plan(carrier, n=4)
    assert plan.state == "draft"
    assert plan.valid
    assert plan.dropped == []
    van, big = carrier.vehicles[0], carrier.vehicles[3]
    pickup = next(s for s in plan.stops if s.request.source == "trade" and s.kind == "pickup")
    assert pickup.vehicle_id == big.id
    moved = services.move_stop(me, plan.id, pickup.id, van.id, 0)
    assert not moved.valid
    assert any("over capacity" in v for v in moved.violations), moved.violations
    on_van = [s for s in moved.stops if s.vehicle_id == van.id]
    assert next(s.kind for s in on_van) == "pickup"
    assert len(on_van) >= 2
    with pytest.raises(Conflict) as refused:
        services.publish(me, plan.id, utcnow())
    assert "violations" in refused.value.fields
    back = services.move_stop(me, plan.id, pickup.id, big.id, 0)
    assert back.valid
    assert back.violations == []
    published = services.publish(me, plan.id, utcnow())
    assert published.state == "published"
    with pytest.raises(Conflict):
        services.move_stop(me, plan.id, pickup.id, van.id, 0)


def test_bad_input_names_the_field(carrier, scheduled):
    me = actor(carrier)
    with pytest.raises(Invalid) as empty:
        services.start_plan(me, DAY, [])
    assert "vehicle_ids" in empty.value.fields
    stranger = make_org(kind=carrier.organization.kind)
    with pytest.raises(Invalid) as foreign:
        services.start_plan(me, DAY, [carrier.vehicles[0].id, 999_999])
    assert "vehicle_ids" in foreign.value.fields
    with pytest.raises(Invalid) as limit:
        services.start_plan(me, DAY, [carrier.vehicles[0].id], time_limit_s=0)
    assert "time_limit_s" in limit.value.fields
    with pytest.raises(Invalid) as day:
        services.parse_day("2026-13-01")
    assert "day" in day.value.fields
    plan = _plan(carrier, n=4)
    stop = plan.stops[0]
    with pytest.raises(Invalid) as pos:
        services.move_stop(me, plan.id, stop.id, stop.vehicle_id, 99)
    assert "position" in pos.value.fields
    with pytest.raises(Invalid) as veh:
        services.move_stop(me, plan.id, stop.id, 999_999, 0)
    assert "vehicle_id" in veh.value.fields
    for bad in ("abc", "-1", "0", "1e9", "12.3456", "NaN"):
        with pytest.raises(Invalid) as kg:
            services.parse_kg(bad)
        assert "kg" in kg.value.fields
    other = make_user(stranger)
    with pytest.raises(NotFound):
        services.get_plan(actor(other), plan.id)
    producer = make_user(make_org())
    with pytest.raises(Forbidden):
        services.start_plan(actor(producer), DAY, [carrier.vehicles[0].id])


def test_driver_confirms_pickup_with_weight_and_passport_event(carrier, scheduled, listed):
    me = actor(carrier)
    plan = _plan(carrier, n=4)
    services.publish(me, plan.id, utcnow())
    big = carrier.vehicles[3]
    services.assign_driver(me, plan.id, big.id, carrier.driver.id)
    driver = actor(carrier.driver)
    runs = services.my_runs(driver, DAY)
    assert [r.vehicle.id for _, r in runs] == [big.id]
    stop = next(s for s in runs[0][1].stops if s.kind == "pickup")
    before = len(store.lot_events(passport_id(listed["id"])))
    stranger = make_user(make_org(kind=carrier.organization.kind))
    with pytest.raises(NotFound):
        services.confirm(actor(stranger), stop.id, "12480.5", utcnow())
    colleague = make_user(carrier.organization, role=carrier.driver.role)
    with pytest.raises(Forbidden):
        services.confirm(actor(colleague), stop.id, "12480.5", utcnow())
    done = services.confirm(driver, stop.id, "12480.5", utcnow())
    assert done.confirmed_kg == Decimal("12480.5")
    assert done.confirmed_at is not None
    events = store.lot_events(passport_id(listed["id"]))
    assert len(events) == before + 1
    assert str(events[-1]["bizStep"]).endswith("shipping")
    assert events[-1]["quantityList"][0]["quantity"] == 12480.5
    assert db.session.get(Trade, scheduled).status is TradeStatus.PICKED_UP
    with pytest.raises(Conflict):
        services.confirm(driver, stop.id, "12480.5", utcnow())


def test_recurring_lot_due_today_is_collected_to_the_nearest_station(client, producer, outbound):
    body = archive(
        producer.site.id,
        recurrence={"recurring": True, "frequency": "daily"},  # no expected_t: see the report
    )
    lot = client.post("/api/v1/lots", json=body, headers=producer.headers).json
    assert (
        client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers).status_code
        == 200
    )
    day = utcnow().date()
    added = {r.source: r for r in sources.gather(day)}
    request = added["lot"]
    assert request.source_id == lot["id"]
    assert request.kg == Decimal("12500.000")  # the lot's quantity when no expected figure
    assert request.dest_kind == "station"
    assert request.dest_name.endswith(" 大岭山回收站")
    assert sources.due("weekly", date(2026, 12, 1), date(2026, 12, 8))
    assert not sources.due("weekly", date(2026, 12, 1), date(2026, 12, 9))
    assert not sources.due("daily", date(2026, 12, 2), date(2026, 12, 1))


def test_collecting_a_recurring_lot_appends_its_shipping_event(client, producer, outbound, carrier):
    body = archive(
        producer.site.id, quantity_t="3", recurrence={"recurring": True, "frequency": "daily"}
    )
    lot = client.post("/api/v1/lots", json=body, headers=producer.headers).json
    client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers)
    me = actor(carrier)
    today = utcnow().date()  # listed today, due daily from today
    plan = wait_planned(services.start_plan(me, today, [carrier.vehicles[1].id], 2).id)
    services.publish(me, plan.id, utcnow())
    services.assign_driver(me, plan.id, carrier.vehicles[1].id, carrier.driver.id)
    stop = next(s for s in plan.stops if s.kind == "pickup" and s.request.source == "lot")
    services.confirm(actor(carrier.driver), stop.id, "2950", utcnow())
    events = store.lot_events(passport_id(lot["id"]))
    assert [str(e["bizStep"]).rsplit("/", 1)[-1] for e in events] == ["commissioning", "shipping"]
    assert events[-1]["quantityList"][0]["quantity"] == 2950.0
