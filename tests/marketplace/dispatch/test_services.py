"""Pickup requests from trades and station outbound plans, the planning job, hand moves
re-checked by the independent checker, publishing, and the driver's confirmation."""

from __future__ import annotations

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
from tests.marketplace.dispatch.conftest import DAY, actor, wait_planned


def test_requests_come_from_scheduled_trades_and_approved_outbound_plans(
    carrier, scheduled, outbound
):
    added = sources.gather(DAY)
    db.session.commit()
    by_source = {r.source: r for r in added}
    trade = by_source["trade"]
    assert trade.source_id == scheduled and trade.kg == Decimal("12500.000")
    assert (trade.window_start_s, trade.window_end_s) == (8 * 3600, 17 * 3600 + 1800)
    assert trade.dest_kind == "plant" and trade.site_name == "长安一厂"
    station = by_source["outbound"]
    assert station.source_id == outbound.id and station.kg == Decimal("3000.000")
    assert station.dest_name == "麻涌造纸厂"
    assert sources.gather(DAY) == []  # gathering twice adds nothing
    assert db.session.scalar(sa.select(sa.func.count(PickupRequest.id))) == 2


def _plan(carrier):
    ids = [v.id for v in carrier.vehicles]
    plan = services.start_plan(actor(carrier), DAY, ids, time_limit_s=2)
    return wait_planned(plan.id)


def test_planning_job_writes_routes_kpis_and_drops(carrier, scheduled, outbound):
    plan = _plan(carrier)
    assert plan.state == "draft", plan.error
    assert plan.valid and plan.violations == []
    kinds = sorted((s.request.source, s.kind) for s in plan.stops)
    assert kinds == [("outbound", "delivery"), ("outbound", "pickup")]
    # 12.5 t fits none of the trucks (8 t at most): dropped with its reason, not lost
    trade_request = db.session.scalar(sa.select(PickupRequest).where(PickupRequest.source == "trade"))
    assert [(d["request_id"], d["reason"]) for d in plan.dropped] == [
        (trade_request.id, "over_capacity")
    ]
    pickup = next(s for s in plan.stops if s.kind == "pickup")
    assert 8 * 3600 <= pickup.start_s <= 17 * 3600 + 1800  # inside the station's hours
    assert plan.kpis["plan"]["km"] > 0 and plan.kpis["baseline"]["co2_kg"] > 0
    assert plan.kpis["plan"]["vehicles"] == 1
