"""Planning a day, editing a plan by hand, publishing it, and a driver confirming a pickup.

Every change is checked here (views and the API stay thin). A plan belongs to one logistics
company: another organisation gets 404 for it, as for anything it may not know exists. The
solver runs in a background job (`jobs.plan_day`); a hand edit is re-walked by
`logistics.check_routes` and its violations are stored with the plan, which then cannot be
published until they are gone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app

import logistics
from core import jobs
from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.models import Organization, User
from core.time import utcnow
from marketplace import passports
from marketplace.dispatch import problem as adapt
from marketplace.dispatch import sources
from marketplace.dispatch.models import (
    FillSensor,
    PickupRequest,
    RoutePlan,
    RouteStop,
    VehicleDriver,
)
from marketplace.dispatch.visits import Visit
from marketplace.dispatch.visits import group as group_visits
from marketplace.fleet.models import Vehicle
from marketplace.lots.models import Lot
from marketplace.trading import trades
from marketplace.trading.models import Trade, TradeStatus

MAX_TIME_LIMIT_S = 60
MAX_KG = Decimal("100000")


def _dispatcher(actor: Actor) -> None:
    if actor.org_kind is not OrgKind.LOGISTICS:
        raise Forbidden("只有物流企业可以调度")


def _writer(actor: Actor) -> None:
    _dispatcher(actor)
    if actor.role is Role.VIEWER:
        raise Forbidden("只读账户不能修改调度计划")


def parse_day(value: object) -> date:
    """An ISO date from a form or JSON (400 naming `day`)."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid("日期格式应为 YYYY-MM-DD", {"day": "not an ISO date"}) from None


def fleet(actor: Actor) -> list[Vehicle]:
    """The company's active vehicles."""
    return list(
        db.session.scalars(
            sa.select(Vehicle)
            .where(Vehicle.organization_id == actor.org_id, Vehicle.active.is_(True))
            .order_by(Vehicle.id)
        )
    )


def get_plan(actor: Actor, plan_id: int, *, lock: bool = False) -> RoutePlan:
    """The company's own plan (404 for any other organisation's)."""
    q = sa.select(RoutePlan).where(RoutePlan.id == plan_id)
    if lock:
        q = q.with_for_update()
    plan = db.session.scalar(q)
    if plan is None or (plan.organization_id != actor.org_id and not actor.is_admin):
        raise NotFound("调度计划不存在")
    return plan


def plans(actor: Actor) -> list[RoutePlan]:
    _dispatcher(actor)
    q = sa.select(RoutePlan).where(RoutePlan.organization_id == actor.org_id)
    return list(db.session.scalars(q.order_by(RoutePlan.day.desc(), RoutePlan.id.desc())))


def _taken(day: date, except_plan: int | None = None) -> set[int]:
    """Requests already in a published plan of that day (no one plans them twice)."""
    q = (
        sa.select(RouteStop.request_id)
        .join(RoutePlan)
        .where(RoutePlan.day == day, RoutePlan.state == "published")
    )
    if except_plan is not None:
        q = q.where(RoutePlan.id != except_plan)
    return set(db.session.scalars(q))


def gather_requests(actor: Actor, day: date) -> list[PickupRequest]:
    """Add the day's missing pickup requests from their sources (flushed; the caller commits).

    A write, so only from a POST: the dispatcher's "更新收料请求" button and the start of a plan
    (a dispatcher who plans a day expects everything due that day in it). Viewing the day page
    shows what has been gathered so far and never writes."""
    _writer(actor)
    return sources.gather(day)


def day_requests(actor: Actor, day: date) -> list[PickupRequest]:
    """The day's gathered requests still free for this company's cluster (read only)."""
    _dispatcher(actor)
    org = db.session.get(Organization, actor.org_id)
    taken = _taken(day)
    free = sources.open_requests(day, org.cluster_id if org else None)
    return [r for r in free if r.id not in taken]


def cluster_sensors(actor: Actor) -> list[FillSensor]:
    """The fill-level sensors at factories of the dispatcher's cluster (all without one)."""
    _dispatcher(actor)
    org = db.session.get(Organization, actor.org_id)
    q = sa.select(FillSensor).join(Organization, Organization.id == FillSensor.organization_id)
    if org is not None and org.cluster_id is not None:
        q = q.where(Organization.cluster_id == org.cluster_id)
    return list(db.session.scalars(q.order_by(FillSensor.key)))


def start_plan(actor: Actor, day: date, vehicle_ids: list[int], time_limit_s: int = 5) -> RoutePlan:
    """Queue the planning job for a day with the chosen vehicles (committed and dispatched)."""
    _writer(actor)
    if not vehicle_ids:
        raise Invalid("请至少选择一辆车", {"vehicle_ids": "empty fleet"})
    if not 1 <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise Invalid("求解时限应为 1–60 秒", {"time_limit_s": "out of range"})
    own = {v.id: v for v in fleet(actor)}
    unknown = [v for v in vehicle_ids if v not in own]
    if unknown:
        raise Invalid(
            "车辆不属于本企业或已停用：%(ids)s",
            {"vehicle_ids": "unknown vehicle"},
            ids=", ".join(str(v) for v in unknown),
        )
    gather_requests(actor, day)
    requests = day_requests(actor, day)
    plan = RoutePlan(
        organization_id=actor.org_id,
        day=day,
        vehicle_ids=sorted(set(vehicle_ids)),
        request_ids=[r.id for r in requests],
        time_limit_s=time_limit_s,
        created_by=actor.user_id,
    )
    db.session.add(plan)
    db.session.flush()
    job = jobs.create(
        "dispatch.plan_day",
        {"plan_id": plan.id},
        user_id=actor.user_id,
        organization_id=actor.org_id,
    )
    plan.job_id = job.id
    db.session.commit()
    from marketplace.jobs.runner import dispatch as run  # the web shell's runner

    run(job.id)
    return plan


def load_problem(plan: RoutePlan) -> logistics.Problem:
    """The plan's problem from its stored requests and vehicles."""
    reqs = plan_requests(plan)
    vehicles = db.session.scalars(
        sa.select(Vehicle).where(Vehicle.id.in_(plan.vehicle_ids or [-1])).order_by(Vehicle.id)
    ).all()
    return adapt.build(reqs, vehicles, name=f"plan {plan.id}")


def plan_requests(plan: RoutePlan) -> list[PickupRequest]:
    """The requests a plan was made from."""
    return list(
        db.session.scalars(
            sa.select(PickupRequest)
            .where(PickupRequest.id.in_(plan.request_ids or [-1]))
            .order_by(PickupRequest.id)
        )
    )


def _kpis(problem: logistics.Problem, result: Any) -> dict[str, Any]:
    from logistics.kpis import compare

    c = compare(problem, result)
    fields = ("km", "vehicle_hours", "vehicles", "load_factor", "empty_share", "co2_kg")
    return {
        "plan": {f: round(float(getattr(c.plan, f)), 3) for f in fields},
        "baseline": {f: round(float(getattr(c.baseline, f)), 3) for f in fields},
        "km_saving": round(c.km_saving, 4),
        "co2_saving": round(c.co2_saving, 4),
        "hours_saving": round(c.hours_saving, 4),
    }


def _write_routes(plan: RoutePlan, details: list[logistics.Route]) -> None:
    plan.stops.clear()
    db.session.flush()
    for route in details:
        for seq, sid in enumerate(route.stops):
            rid, kind = adapt.request_of(sid)
            plan.stops.append(
                RouteStop(
                    vehicle_id=int(route.vehicle),
                    seq=seq,
                    request_id=rid,
                    kind=kind,
                    arrival_s=round(route.arrival[seq]),
                    start_s=round(route.start[seq]),
                    load_kg=adapt.kg(route.load_kg[seq]),
                )
            )


def solve(plan_id: int, progress: Any = None) -> RoutePlan:
    """The job's work: plan, store routes, KPIs and drops (the caller commits)."""
    plan = db.session.get(RoutePlan, plan_id)
    if plan is None:
        raise NotFound("调度计划不存在")
    problem = load_problem(plan)
    if progress:
        progress(1, 3, "求解中")
    result = logistics.plan(problem, time_limit_s=plan.time_limit_s)
    if progress:
        progress(2, 3, "保存路线")
    _write_routes(plan, result.details)
    plan.dropped = [
        {"request_id": int(adapt.request_of(d.id)[0]), "reason": d.reason, "message": d.message}
        for d in result.dropped
    ]
    plan.violations = logistics.check_plan(problem, result)
    plan.valid = not plan.violations
    plan.kpis = _kpis(problem, result)
    plan.state, plan.planned_at = "draft", utcnow()
    return plan


@dataclass
class Run:
    """One vehicle's stops of a plan, for the pages."""

    vehicle: Vehicle
    stops: list[RouteStop]
    driver: User | None

    @property
    def visits(self) -> list[Visit]:
        """The stops grouped into places the driver stops at (see `visits`)."""
        return group_visits(self.stops)


def runs(plan: RoutePlan) -> list[Run]:
    by_vehicle: dict[int, list[RouteStop]] = defaultdict(list)
    for s in sorted(plan.stops, key=lambda s: (s.vehicle_id, s.seq)):
        by_vehicle[s.vehicle_id].append(s)
    drivers = {
        d.vehicle_id: db.session.get(User, d.user_id)
        for d in db.session.scalars(
            sa.select(VehicleDriver).where(VehicleDriver.plan_id == plan.id)
        )
    }
    out = []
    for vid in plan.vehicle_ids:
        v = db.session.get(Vehicle, vid)
        if v is not None:
            out.append(Run(v, by_vehicle.get(vid, []), drivers.get(vid)))
    return out


def _editable(plan: RoutePlan) -> None:
    if plan.state != "draft":
        raise Conflict(
            "只有草稿计划可以调整（当前：%(state)s）", {"state": plan.state}, state=plan.state
        )


def move_stop(
    actor: Actor, plan_id: int, stop_id: int, vehicle_id: int, position: int
) -> RoutePlan:
    """Move a stop to a vehicle and position by hand; a pickup taken to another vehicle takes
    its delivery along (to the end of that route). The plan is re-checked and its violations
    stored: a plan that breaks a rule is kept, flagged, and cannot be published."""
    _writer(actor)
    plan = get_plan(actor, plan_id, lock=True)
    _editable(plan)
    stop = next((s for s in plan.stops if s.id == stop_id), None)
    if stop is None:
        raise NotFound("该站点不在此计划中")
    if vehicle_id not in plan.vehicle_ids:
        raise Invalid("车辆不在此计划中", {"vehicle_id": "not in the plan"})
    routes: dict[int, list[RouteStop]] = {v: [] for v in plan.vehicle_ids}
    for s in sorted(plan.stops, key=lambda s: (s.vehicle_id, s.seq)):
        routes[s.vehicle_id].append(s)
    if position < 0 or position > len(routes[vehicle_id]):
        raise Invalid(
            "位置超出范围（0–%(n)s）", {"position": "out of range"}, n=len(routes[vehicle_id])
        )
    moving = [stop]
    partner = next(
        (s for s in plan.stops if s.request_id == stop.request_id and s is not stop), None
    )
    if stop.kind == "pickup" and partner is not None and partner.vehicle_id != vehicle_id:
        moving.append(partner)
    for s in moving:
        routes[s.vehicle_id].remove(s)
    target = routes[vehicle_id]
    target.insert(min(position, len(target)), stop)
    if len(moving) > 1:
        target.append(partner)  # type: ignore[arg-type]
    problem = load_problem(plan)
    order = [[adapt.stop_key(s) for s in routes[v]] for v in plan.vehicle_ids]
    dropped = [d["request_id"] for d in plan.dropped]
    plan.violations = _readable(
        logistics.check_routes(problem, order, [str(v) for v in plan.vehicle_ids], dropped)
    )
    plan.valid = not plan.violations
    kg_of = {r.id: r.kg for r in plan_requests(plan)}
    for vid, stops in routes.items():
        starts, _back = (
            logistics.service_starts(
                problem, str(vid), order[plan.vehicle_ids.index(vid)], adapt.SHIFT[0]
            )
            if stops
            else ([], 0.0)
        )
        load = Decimal(0)
        for seq, s in enumerate(stops):
            s.vehicle_id, s.seq = vid, seq
            s.arrival_s = s.start_s = round(starts[seq])
            load += kg_of[s.request_id] * (1 if s.kind == "pickup" else -1)
            s.load_kg = load
    result = _as_plan(problem, plan, routes)
    plan.kpis = _kpis(problem, result)
    db.session.commit()
    return plan


def _readable(violations: list[str]) -> list[str]:
    """The checker names vehicles and stops by id; the dispatcher knows plates and places."""
    plates = dict(db.session.execute(sa.select(Vehicle.id, Vehicle.plate)).tuples().all())
    out = []
    for v in violations:
        m = re.match(r"vehicle (\d+): (.*)$", v)
        out.append(f"{plates.get(int(m.group(1)), m.group(1))}: {m.group(2)}" if m else v)
    return out


def _as_plan(
    problem: logistics.Problem, plan: RoutePlan, routes: dict[int, list[RouteStop]]
) -> Any:
    """The edited routes in the shape `logistics.kpis` reads (vehicle, stops, depart, back)."""
    details = []
    for vid, stops in routes.items():
        if not stops:
            continue
        order = [adapt.stop_key(s) for s in stops]
        starts, back = logistics.service_starts(problem, str(vid), order, adapt.SHIFT[0])
        details.append(
            logistics.Route(str(vid), order, starts, starts, [], [], adapt.SHIFT[0], back, 0.0)
        )
    return logistics.Plan([d.stops for d in details], details, [], 0.0, {}, {})


def publish(actor: Actor, plan_id: int, now: datetime) -> RoutePlan:
    """Publish a valid draft; its requests are then taken for that day."""
    _writer(actor)
    plan = get_plan(actor, plan_id, lock=True)
    _editable(plan)
    if not plan.valid:
        raise Conflict("计划仍有违规，不能发布", {"violations": "; ".join(plan.violations)[:300]})
    clash = _taken(plan.day, plan.id) & {s.request_id for s in plan.stops}
    if clash:
        raise Conflict(
            "部分收料请求已在其他已发布计划中：%(ids)s",
            {"request_ids": "taken"},
            ids=", ".join(str(i) for i in sorted(clash)),
        )
    plan.state, plan.published_at = "published", now
    db.session.commit()
    return plan


def assign_driver(actor: Actor, plan_id: int, vehicle_id: int, user_id: int) -> VehicleDriver:
    """Give a vehicle's run of a plan to one of the company's users."""
    _writer(actor)
    plan = get_plan(actor, plan_id, lock=True)
    if vehicle_id not in plan.vehicle_ids:
        raise Invalid("车辆不在此计划中", {"vehicle_id": "not in the plan"})
    user = db.session.get(User, user_id)
    if user is None or user.organization_id != plan.organization_id:
        raise Invalid("司机须为本企业用户", {"user_id": "not a user of this company"})
    row = db.session.scalar(
        sa.select(VehicleDriver).where(
            VehicleDriver.plan_id == plan.id, VehicleDriver.vehicle_id == vehicle_id
        )
    )
    if row is None:
        row = VehicleDriver(plan_id=plan.id, vehicle_id=vehicle_id, user_id=user_id)
        db.session.add(row)
    row.user_id = user_id
    db.session.commit()
    return row


def my_runs(actor: Actor, day: date) -> list[tuple[RoutePlan, Run]]:
    """The published runs of the day this user drives."""
    rows = db.session.execute(
        sa.select(RoutePlan, VehicleDriver.vehicle_id)
        .join(VehicleDriver, VehicleDriver.plan_id == RoutePlan.id)
        .where(
            VehicleDriver.user_id == actor.user_id,
            RoutePlan.day == day,
            RoutePlan.state == "published",
        )
        .order_by(RoutePlan.id)
    ).tuples()
    return [(p, r) for p, vid in rows for r in runs(p) if r.vehicle.id == vid]


def parse_kg(value: object) -> Decimal:
    """Weighed kilograms: positive, at most three decimals (400 naming `kg`)."""
    try:
        kg = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid("重量应为数字（千克）", {"kg": "not a number"}) from None
    if not kg.is_finite() or kg <= 0 or kg > MAX_KG:
        raise Invalid("重量应大于 0 且不超过 100 吨", {"kg": "out of range"})
    if kg.as_tuple().exponent < -3:  # type: ignore[operator]
        raise Invalid("重量最多三位小数", {"kg": "too precise"})
    return kg


def confirm(actor: Actor, stop_id: int, kg_value: object, now: datetime) -> RouteStop:
    """The driver confirms a stop: time and weighed kg; a trade's pickup moves the trade to
    picked-up and appends the shipping event with that weight to the lot's passport, and a
    recurring lot's collection appends its shipping event. A station's outbound load gets its
    passport event from the station's own 出库 weighing, not from here."""
    kg = parse_kg(kg_value)
    stop = db.session.scalar(sa.select(RouteStop).where(RouteStop.id == stop_id).with_for_update())
    plan = stop.plan if stop is not None else None
    driver = (
        db.session.scalar(
            sa.select(VehicleDriver.user_id).where(
                VehicleDriver.plan_id == plan.id, VehicleDriver.vehicle_id == stop.vehicle_id
            )
        )
        if plan is not None and stop is not None
        else None
    )
    if stop is None or plan is None or plan.organization_id != actor.org_id:
        raise NotFound("站点不存在")
    if driver != actor.user_id and actor.role is not Role.MANAGER:
        raise Forbidden("只有该车司机或调度经理可以确认")
    if plan.state != "published":
        raise Conflict("计划尚未发布", {"state": plan.state})
    if stop.confirmed_at is not None:
        raise Conflict("该站点已确认", {"stop_id": "already confirmed"})
    stop.confirmed_at, stop.confirmed_kg, stop.confirmed_by = now, kg, actor.user_id
    request = stop.request
    grams = int((kg * 1000).to_integral_value())
    if stop.kind == "pickup" and request.source == "lot" and request.lot_id is not None:
        lot = db.session.get(Lot, request.lot_id)
        if lot is not None:
            passports.collected(lot, now, mass_g=grams, carrier_id=plan.organization_id)
    if stop.kind == "pickup" and request.trade_id is not None:
        trade = db.session.scalar(
            sa.select(Trade).where(Trade.id == request.trade_id).with_for_update()
        )
        if trade is not None and trade.status is TradeStatus.SCHEDULED:
            trades.advance(trade, TradeStatus.PICKED_UP)
            passports.picked_up(trade, now, mass_g=grams, carrier_id=plan.organization_id)
    db.session.commit()
    current_app.logger.info("stop %s confirmed by user %s: %s kg", stop.id, actor.user_id, kg)
    return stop
