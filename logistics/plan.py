"""`plan(problem)`: validate, compile to integer arrays, solve with OR-Tools, explain drops.

Every visit is optional with a penalty far above any route's cost, so the solver always
returns a plan; what it leaves out is reported in `Plan.dropped` with a reason. Stops that no
vehicle could serve even alone (hazardous with no permitted truck, heavier than every truck,
a window no truck can reach within its shift) are decided before the search and never given
to it, which both explains them exactly and keeps the search small.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from logistics import _ortools
from logistics.distances import Matrices, build
from logistics.model import Issue, Problem, Request, StopId, Vehicle, delivery_id, validate

INVALID = "invalid"
NO_VEHICLE = "no_permitted_vehicle"
OVER_CAPACITY = "over_capacity"
WINDOW = "window_unreachable"
VEHICLE_LOST = "vehicle_lost"

REASON_TEXT = {
    INVALID: "输入有误",
    NO_VEHICLE: "没有允许运输它的车辆（危废须有资质车辆）",
    OVER_CAPACITY: "超出车辆载重或容积",
    WINDOW: "时间窗内无法到达",
    VEHICLE_LOST: "已装车的车辆不可用",
}


@dataclass(frozen=True)
class Dropped:
    """A stop left out of the plan and why (`reason` one of the constants above)."""

    id: StopId
    reason: str
    message: str


@dataclass
class Route:
    """One vehicle's day: stops in order with service start, arrival and load after the stop
    (kg and m³), the times it leaves and returns to its depot, and its distance."""

    vehicle: str
    stops: list[StopId]
    arrival: list[float]
    start: list[float]
    load_kg: list[float]
    load_m3: list[float]
    depart: float
    back: float
    distance: float


@dataclass
class Plan:
    """The result. `routes`: stop ids per used vehicle, depots left out (file instances: the
    customer numbers); `details`: the same routes with vehicle and times; `distance` in km
    (planar problems: file units)."""

    routes: list[list[StopId]]
    details: list[Route]
    dropped: list[Dropped]
    distance: float
    arrival: dict[StopId, float]
    load_kg: dict[StopId, float]
    issues: list[Issue] = field(default_factory=list)
    status: str = ""

    def dropped_ids(self) -> set[StopId]:
        return {d.id for d in self.dropped}


@dataclass
class Compiled:
    """A problem as arrays plus the maps back to ids."""

    problem: Problem
    arrays: _ortools.Arrays
    node_stop: list[StopId | None]
    node_request: list[Request | None]
    vehicles: list[Vehicle]
    matrices: Matrices
    points: list[tuple[float, float]]
    rejected: list[Dropped]
    issues: list[Issue]
    qty_scale: float


def _qty(value: object, scale: float) -> int:
    return int(np.ceil(round(float(value) * scale, 6)))  # type: ignore[arg-type]


def _windows(
    ws: tuple[tuple[int, int], ...], scale: int, lo: int, hi: int
) -> list[tuple[int, int]]:
    if not ws:
        return [(lo, hi)]
    return [(round(s * scale), round(e * scale)) for s, e in ws]


def compile_problem(problem: Problem) -> Compiled:
    """Turn a validated problem into solver arrays; invalid items become issues/drops."""
    issues = validate(problem)
    bad_requests = {i.id for i in issues if i.subject == "request"}
    bad_vehicles = {i.id for i in issues if i.subject == "vehicle"}
    bad_depots = {i.id for i in issues if i.subject == "depot"}
    depots = [d for d in problem.depots if d.id not in bad_depots]
    depot_node = {d.id: i for i, d in enumerate(depots)}
    vehicles = [
        v
        for v in problem.vehicles
        if v.id not in bad_vehicles
        and v.depot in depot_node
        and (not v.end_depot or v.end_depot in depot_node)
    ]
    rejected = [
        Dropped(r.id, INVALID, "; ".join(str(i) for i in issues if i.id == r.id))
        for r in problem.requests
        if r.id in bad_requests
    ]
    tscale = problem.scale if problem.planar and not problem.round_arcs else 1
    qscale = 1.0 if problem.planar else 1000.0  # planar: file units; else grams and litres
    points = [(float(d.lat), float(d.lon)) for d in depots]  # type: ignore[arg-type]
    node_stop: list[StopId | None] = [None] * len(depots)
    node_req: list[Request | None] = [None] * len(depots)
    pairs: list[tuple[int, int]] = []
    good = [r for r in problem.requests if r.id not in bad_requests]
    for r in good:
        points.append((float(r.lat), float(r.lon)))  # type: ignore[arg-type]
        node_stop.append(r.id)
        node_req.append(r)
        if r.paired:
            points.append((float(r.destination.lat), float(r.destination.lon)))  # type: ignore[arg-type]
            node_stop.append(delivery_id(r.id))
            node_req.append(r)
            pairs.append((len(points) - 2, len(points) - 1))
    mat = build(
        points,
        planar=problem.planar,
        circuity=problem.circuity,
        road_graph=problem.road_graph,  # type: ignore[arg-type]
        scale=problem.scale,
        round_arcs=problem.round_arcs,
    )
    n = len(points)
    service = np.zeros(n, dtype=np.int64)
    windows: list[list[tuple[int, int]]] = [[(0, 0)]] * n
    kg = [0] * n
    m3 = [0] * n
    horizon = max([v.shift_end_s * tscale for v in vehicles], default=1) + 1
    pair_of = dict(pairs)
    for i in range(len(depots), n):
        r = node_req[i]
        assert r is not None
        is_delivery = node_stop[i] != r.id
        if is_delivery:
            service[i] = r.destination.service_s * tscale
            windows[i] = _windows(r.destination.windows, tscale, 0, horizon)
            kg[i], m3[i] = -_qty(r.kg, qscale), -_qty(r.m3, qscale)
        else:
            service[i] = round(r.service_s * tscale)
            windows[i] = _windows(r.windows, tscale, 0, horizon)
            kg[i], m3[i] = _qty(r.kg, qscale), _qty(r.m3, qscale)

    speeds = sorted({v.speed() for v in vehicles})
    times = [mat.time(s) + service[:, None] for s in speeds] or [mat.dist + service[:, None]]
    for t in times:
        np.fill_diagonal(t, 0)
    time_class = [speeds.index(v.speed()) for v in vehicles]
    if problem.distance_only or all(
        not v.cost_per_km_fen and not v.cost_per_hour_fen for v in vehicles
    ):
        costs, cost_class, span, fixed = [mat.dist], [0] * len(vehicles), [0] * len(vehicles), []
        # no per-km or per-hour prices: the objective is the distance (metres), and a fen of
        # fixed cost weighs like a kilometre so fewer trucks still win when they can
        fixed = [0 if problem.distance_only else v.cost_per_day_fen * 1000 for v in vehicles]
    else:
        # costs in fen × 3600 so per-km (per metre × 3.6) and per-second span costs are integers
        per_km = sorted({v.cost_per_km_fen for v in vehicles})
        costs = [np.rint(mat.dist * k * 3.6).astype(np.int64) for k in per_km]
        cost_class = [per_km.index(v.cost_per_km_fen) for v in vehicles]
        span = [v.cost_per_hour_fen for v in vehicles]
        fixed = [v.cost_per_day_fen * 3600 for v in vehicles]

    kg_cap = [_qty(v.kg_capacity, qscale) for v in vehicles]
    big = 10**12
    m3_cap = [big if v.m3_capacity is None else _qty(v.m3_capacity, qscale) for v in vehicles]
    loads: list[tuple[str, list[int], list[int]]] = [("kg", kg, kg_cap)]
    if any(m3) and any(c != big for c in m3_cap):
        loads.append(("m3", m3, m3_cap))
    starts = [depot_node[v.depot] for v in vehicles]  # type: ignore[index]
    ends = [depot_node[v.end_depot or v.depot] for v in vehicles]  # type: ignore[index]
    shift = [(v.shift_start_s * tscale, v.shift_end_s * tscale) for v in vehicles]
    max_shift = [None if v.max_shift_s is None else v.max_shift_s * tscale for v in vehicles]

    allowed: list[list[int] | None] = [None] * n
    optional: list[int] = []
    for i in range(len(depots), n):
        r = node_req[i]
        assert r is not None
        if node_stop[i] != r.id:
            continue  # deliveries follow their pickup
        d = pair_of.get(i)
        ok, reason = _eligible(
            i,
            d,
            r,
            vehicles,
            times,
            time_class,
            starts,
            ends,
            windows,
            shift,
            max_shift,
            kg,
            m3,
            kg_cap,
            m3_cap,
        )
        if not ok:
            rejected.append(Dropped(r.id, reason, REASON_TEXT[reason]))
            allowed[i] = []
            if d is not None:
                allowed[d] = []
            continue
        if len(ok) < len(vehicles):
            allowed[i] = ok
            if d is not None:
                allowed[d] = ok
        optional.append(i)
        if d is not None:
            optional.append(d)
    # nodes rejected up front are still in the model (the matrices are built) but restricted
    # to no vehicle; they are optional too so the model stays feasible
    optional_all = optional + [
        i for i in range(len(depots), n) if allowed[i] == [] and i not in optional
    ]
    cmax = int(max((int(c.max()) for c in costs), default=1))
    penalty = min(2**50, max(10**6, 4 * cmax * max(n, 2) + 4 * max(fixed, default=0)))
    arrays = _ortools.Arrays(
        n=n, starts=starts, ends=ends, dist=mat.dist, times=times, time_class=time_class,
        costs=costs, cost_class=cost_class, loads=loads, windows=windows, shift=shift,
        max_shift=max_shift, span_cost=span, fixed_cost=fixed,
        allowed=allowed, pairs=pairs, optional=optional_all,
        penalty=penalty, horizon=horizon,
    )  # fmt: skip
    return Compiled(problem, arrays, node_stop, node_req, vehicles, mat, points, rejected,
                    issues, qscale)  # fmt: skip


def _eligible(
    i: int, d: int | None, r: Request, vehicles: list[Vehicle], times: list[np.ndarray],
    time_class: list[int], starts: list[int], ends: list[int],
    windows: list[list[tuple[int, int]]], shift: list[tuple[int, int]],
    max_shift: list[int | None], kg: list[int], m3: list[int], kg_cap: list[int],
    m3_cap: list[int],
) -> tuple[list[int], str]:  # fmt: skip
    """Vehicles that could serve this request alone, or none and the first reason why."""
    permitted = [k for k, v in enumerate(vehicles) if v.hazmat or not r.hazardous]
    if not permitted:
        return [], NO_VEHICLE
    fits = [k for k in permitted if kg[i] <= kg_cap[k] and m3[i] <= m3_cap[k]]
    if not fits:
        return [], OVER_CAPACITY
    ok = []
    for k in fits:
        t = times[time_class[k]]
        clock = shift[k][0]
        here = starts[k]
        feasible = True
        for node in [i] if d is None else [i, d]:
            clock += int(t[here, node])
            s = next((max(clock, a) for a, b in sorted(windows[node]) if max(clock, a) <= b), None)
            if s is None:
                feasible = False
                break
            clock, here = s, node
        clock += int(t[here, ends[k]])
        if feasible and clock <= shift[k][1]:
            span = clock - shift[k][0]
            if max_shift[k] is None or span <= max_shift[k]:  # type: ignore[operator]
                ok.append(k)
    return (ok, "") if ok else ([], WINDOW)


def decode(c: Compiled, solved: _ortools.Solved) -> Plan:
    """Map the solver's node routes back to stop ids, times and loads."""
    a = c.arrays
    tscale = c.problem.scale if c.problem.planar and not c.problem.round_arcs else 1
    unit = c.matrices.unit_km
    details: list[Route] = []
    arrival: dict[StopId, float] = {}
    load_kg: dict[StopId, float] = {}
    starts_iter = iter(solved.starts)
    total = 0
    m3 = next((d for name, d, _ in a.loads if name == "m3"), None)
    for v, nodes in enumerate(solved.routes):
        svc = [next(starts_iter) for _ in nodes]
        if not nodes:
            continue
        veh = c.vehicles[v]
        t = a.times[a.time_class[v]]
        seq = [a.starts[v], *nodes, a.ends[v]]
        dist = int(sum(a.dist[x, y] for x, y in itertools.pairwise(seq)))
        total += dist
        arr, kgs, vols, load, vol = [], [], [], 0, 0
        prev_t, prev = solved.begin[v][0], a.starts[v]
        for node, s in zip(nodes, svc, strict=True):
            arr.append((prev_t + int(t[prev, node])) / tscale)
            load += a.loads[0][1][node]
            vol += m3[node] if m3 else 0
            kgs.append(load / c.qty_scale)
            vols.append(vol / c.qty_scale)
            prev_t, prev = s, node
        stops = [c.node_stop[x] for x in nodes]
        details.append(
            Route(veh.id, stops, arr, [s / tscale for s in svc], kgs, vols,  # type: ignore[arg-type]
                  solved.begin[v][0] / tscale, solved.begin[v][1] / tscale, dist * unit)
        )  # fmt: skip
        for sid, at, ld in zip(stops, arr, kgs, strict=True):
            arrival[sid] = at  # type: ignore[index]
            load_kg[sid] = ld  # type: ignore[index]
    rejected_ids = {d.id for d in c.rejected}
    dropped = list(c.rejected)
    for node in solved.dropped:
        r = c.node_request[node]
        if r is None or r.id in rejected_ids or c.node_stop[node] != r.id:
            continue
        dropped.append(Dropped(r.id, _why(c, node, solved), ""))
    dropped = [Dropped(d.id, d.reason, d.message or REASON_TEXT[d.reason]) for d in dropped]
    return Plan(
        routes=[r.stops for r in details], details=details, dropped=dropped,
        distance=total * unit, arrival=arrival, load_kg=load_kg, issues=c.issues,
        status=solved.status,
    )  # fmt: skip


def _why(c: Compiled, node: int, solved: _ortools.Solved) -> str:
    """Reason for a stop the search left out although some vehicle could serve it alone:
    over capacity when no allowed vehicle has room left for it, else its window."""
    a = c.arrays
    allowed = a.allowed[node] if a.allowed[node] is not None else range(len(c.vehicles))
    demand = a.loads[0][1][node]
    for v in allowed:  # type: ignore[union-attr]
        used = sum(max(0, a.loads[0][1][x]) for x in solved.routes[v])
        if used + demand <= a.loads[0][2][v]:
            return WINDOW
    return OVER_CAPACITY


ZONE_ABOVE = 500  # requests; larger days are split into zones of about ZONE_SIZE
ZONE_SIZE = 200


def plan(problem: Problem, time_limit_s: float = 10.0, *, zone: bool = False) -> Plan:
    """Plan a day: routes for the usable vehicles, everything else dropped with a reason.

    A day of more than `ZONE_ABOVE` requests (without pairs) is split into geographic zones
    solved one after another and stitched (`logistics.zones`): on this machine one model of
    1,000 stops did not get past its first local optimum in a minute, while five zones of 200
    took X-n1001-k43 from +18 % to +9 % over the best known in 30 s. `zone`: the problem is
    one zone of such a day — never split again, its search tuned for that
    (`_ortools.ruin_only`)."""
    if (
        not zone
        and len(problem.requests) > ZONE_ABOVE
        and not any(r.paired for r in problem.requests)
    ):
        from logistics.zones import plan_zoned  # zones builds on plan()

        return plan_zoned(problem, -(-len(problem.requests) // ZONE_SIZE), time_limit_s)
    c = compile_problem(problem)
    if not c.vehicles:
        dropped = list(c.rejected) + [
            Dropped(r.id, NO_VEHICLE, "车队为空或没有可用车辆")
            for r in problem.requests
            if r.id not in {d.id for d in c.rejected}
        ]
        return Plan([], [], dropped, 0.0, {}, {}, c.issues, "no_vehicles")
    c.arrays.zone = zone
    return decode(c, _ortools.solve(c.arrays, time_limit_s))
