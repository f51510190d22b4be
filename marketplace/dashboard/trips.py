"""Dispatch's side of the dashboard: published route plans with their stored KPIs (km, empty
share, load factor, vehicles) and their pickup stops, counted in SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.db import db
from marketplace.dashboard import sql
from marketplace.dashboard.records import Period, TripRec
from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop

TZ = ZoneInfo("Asia/Shanghai")


def load_trips(period: Period, scope: Any) -> list[TripRec]:
    """Published plans of the period with their stored KPIs and pickup counts (one query)."""
    if scope.family:  # routes carry mixed loads: not attributable to one material
        return []
    stops = (
        sa.select(
            RouteStop.plan_id.label("plan_id"),
            sa.func.count().label("pickups"),
            sa.func.count(RouteStop.confirmed_at).label("confirmed"),
        )
        .where(
            RouteStop.kind == "pickup",
            RouteStop.plan_id.in_(
                sa.select(RoutePlan.id).where(RoutePlan.day.between(period.start, period.end))
            ),
        )
        .group_by(RouteStop.plan_id)
        .subquery()
    )
    # the three numbers out of each plan's stored KPIs, read in SQL (a year of plans decoded as
    # JSON documents in Python took half a second)
    km, empty, load, vehicles = (
        RoutePlan.kpis[("plan", name)].as_string()
        for name in ("km", "empty_share", "load_factor", "vehicles")
    )
    q = (
        sa.select(
            RoutePlan.id,
            RoutePlan.organization_id,
            RoutePlan.day,
            km,
            empty,
            load,
            vehicles,
            sa.func.coalesce(stops.c.pickups, 0),
            sa.func.coalesce(stops.c.confirmed, 0),
        )
        .outerjoin(stops, stops.c.plan_id == RoutePlan.id)
        .where(RoutePlan.state == "published", RoutePlan.day.between(period.start, period.end))
    )
    if scope.orgs is not None:
        served = (
            sa.select(RouteStop.plan_id)
            .join(PickupRequest, PickupRequest.id == RouteStop.request_id)
            .where(PickupRequest.organization_id.in_(scope.orgs))
        )
        q = q.where(sa.or_(RoutePlan.organization_id.in_(scope.orgs), RoutePlan.id.in_(served)))
    rows = db.session.execute(q).all()
    on_time = _on_time([r[0] for r in rows if r[-1]])
    out = []
    for pid, org, day, km_text, empty_text, load_text, n, pickups, confirmed in rows:
        km = _number(km_text)
        out.append(
            TripRec(
                pid,
                org,
                day,
                km,
                km * _number(empty_text),
                _number(load_text),
                int(_number(n)),
                int(pickups),
                on_time.get(pid, 0),
                int(confirmed),
            )
        )
    return out


def _number(value: object) -> Decimal:
    """A KPI as stored (text on PostgreSQL, a number on SQLite; absent: 0), exactly as written."""
    return Decimal(str(value)) if value is not None else Decimal(0)


def _on_time(plan_ids: list[int]) -> dict[int, int]:
    """plan id → confirmed pickups inside their window (only plans with confirmations)."""
    out: dict[int, int] = defaultdict(int)
    for part in sql.parts(plan_ids):
        q = (
            sa.select(
                RouteStop.plan_id,
                RouteStop.confirmed_at,
                PickupRequest.day,
                PickupRequest.window_end_s,
            )
            .join(PickupRequest, PickupRequest.id == RouteStop.request_id)
            .where(
                sql.one_of(RouteStop.plan_id, part, sa.Integer),
                RouteStop.kind == "pickup",
                RouteStop.confirmed_at.is_not(None),
            )
        )
        for pid, at, day, end_s in db.session.execute(q):
            if at <= datetime.combine(day, time(), TZ) + timedelta(seconds=end_s):
                out[pid] += 1
    return out
