"""An independent feasibility check of a plan against its problem.

It re-walks every route from the problem's own data — stops, windows, service times,
capacities, shifts, hazmat permits, pickup-before-delivery in the same vehicle — and accounts
for every request exactly once (served or dropped). It shares only the distance matrix with
the planner (the same integers), none of the solver's bookkeeping, so tests and the benchmark
use it on every plan, and on PyVRP's solutions too.
"""

from __future__ import annotations

from collections.abc import Sequence

from logistics.distances import build
from logistics.model import Problem, Request, StopId, Vehicle, delivery_id, stop_points, validate


def check_routes(
    problem: Problem,
    routes: Sequence[Sequence[StopId]],
    vehicles: Sequence[str] | None = None,
    dropped: Sequence[StopId] = (),
    distance: float | None = None,
    fixed: dict[StopId, float] | None = None,
    departs: Sequence[float] | None = None,
) -> list[str]:
    """Violations of routes (stop ids per vehicle; `vehicles` their vehicle ids, default the
    fleet in order). An empty list means feasible. `fixed` (re-planning): service starts that
    were already done and may lie outside the planner's view of time."""
    out: list[str] = []
    by_id = {r.id: r for r in problem.requests}
    fleet = {v.id: v for v in problem.vehicles}
    vids = list(vehicles) if vehicles is not None else [v.id for v in problem.vehicles]
    if len(vids) < len(routes):
        return [f"{len(routes)} routes but only {len(vids)} vehicles"]
    invalid = {i.id for i in validate(problem) if i.subject == "request"}
    points, index = stop_points(problem, invalid)
    m = build(points, planar=problem.planar, circuity=problem.circuity,
              road_graph=problem.road_graph, scale=problem.scale,  # type: ignore[arg-type]
              round_arcs=problem.round_arcs)  # fmt: skip
    tscale = problem.scale if problem.planar and not problem.round_arcs else 1
    qscale = 1.0 if problem.planar else 1000.0
    seen: dict[StopId, int] = {}
    total = 0
    used: set[str] = set()
    for k, route in enumerate(routes):
        vid = vids[k]
        v = fleet.get(vid)
        if v is None:
            out.append(f"route {k}: unknown vehicle {vid!r}")
            continue
        if vid in used:
            out.append(f"vehicle {vid} has two routes")
        used.add(vid)
        depart = None if departs is None else departs[k]
        total += _walk(problem, v, list(route), by_id, index, m, tscale, qscale, seen,
                       fixed or {}, out, depart)  # fmt: skip
    dropped_set = set(dropped)
    for r in problem.requests:
        stops = [r.id, delivery_id(r.id)] if r.paired else [r.id]
        served = [seen.get(s, 0) for s in stops]
        if r.id in dropped_set:
            if any(served):
                out.append(f"request {r.id} is both served and dropped")
        elif r.id in invalid:
            out.append(f"invalid request {r.id} is neither dropped nor refused")
        elif any(x != 1 for x in served):
            out.append(f"request {r.id} served {served} times (expected once)")
    if distance is not None:
        got = total * m.unit_km
        if abs(got - distance) > 1e-6 * max(1.0, got):
            out.append(f"distance {distance} differs from the routes' {got}")
    return out


def _walk(
    problem: Problem, v: Vehicle, route: list[StopId], by_id: dict[StopId, Request],
    index: dict[object, int], m: object, tscale: int, qscale: float,
    seen: dict[StopId, int], fixed: dict[StopId, float], out: list[str],
    depart: float | None,
) -> int:  # fmt: skip
    """Walk one route: returns its integer distance, appends violations. The vehicle leaves
    at `depart` (the plan's), or when not given at the latest time that still meets every
    window (found by bisection), so waiting a plan would avoid is not held against it."""
    stops: list[tuple[StopId, Request, bool, int]] = []
    for sid in route:
        seen[sid] = seen.get(sid, 0) + 1
        rid = (
            sid[: -len(":delivery")] if isinstance(sid, str) and sid.endswith(":delivery") else sid
        )
        r = by_id.get(rid)
        if r is None and isinstance(sid, str):
            r = next((x for x in by_id.values() if str(x.id) == rid), None)
        if r is None or sid not in index:
            out.append(f"vehicle {v.id}: unknown stop {sid!r}")
            continue
        stops.append((sid, r, sid != r.id, index[sid]))
    lo = v.shift_start_s * tscale
    if depart is not None:
        start = round(depart * tscale)
        if start < lo:
            out.append(f"vehicle {v.id}: leaves at {depart} before its shift {v.shift_start_s}")
    else:
        end_by = v.shift_end_s * tscale

        def on_time(at: int) -> bool:
            back, late = _timing(problem, v, stops, index, m, tscale, fixed, at)
            return not late and back <= end_by

        start, hi = lo, end_by
        if on_time(lo):
            while lo < hi:  # the latest departure that still meets every window and the shift
                mid = (lo + hi + 1) // 2
                if on_time(mid):
                    lo = mid
                else:
                    hi = mid - 1
            start = lo
    back, late = _timing(problem, v, stops, index, m, tscale, fixed, start)
    out.extend(f"vehicle {v.id}: {x}" for x in late)
    if back > v.shift_end_s * tscale:
        out.append(f"vehicle {v.id}: back at {back / tscale} after shift end {v.shift_end_s}")
    if v.max_shift_s is not None and back - start > v.max_shift_s * tscale:
        out.append(f"vehicle {v.id}: shift {(back - start) / tscale} over {v.max_shift_s}")
    # loads, permits and pairing do not depend on time
    dist = m.dist  # type: ignore[attr-defined]
    caps = [float(v.kg_capacity), float(v.m3_capacity) if v.m3_capacity is not None else None]
    load = [0.0, 0.0]
    onboard: set[StopId] = set()
    here = index[("depot", v.depot)]
    total = 0
    for sid, r, is_delivery, node in stops:
        total += int(dist[here, node])
        here = node
        if r.hazardous and not v.hazmat:
            out.append(f"vehicle {v.id}: hazardous stop {sid} on a vehicle without permit")
        if is_delivery and r.id not in onboard:
            out.append(f"vehicle {v.id}: delivery {sid} before its pickup in this vehicle")
        (onboard.discard if is_delivery else onboard.add)(r.id)
        sign = -1 if is_delivery else 1
        load[0] += sign * float(r.kg)
        load[1] += sign * float(r.m3)
        if load[0] > caps[0] + 0.5 / qscale:
            out.append(f"vehicle {v.id}: load {load[0]} kg over capacity {caps[0]} at {sid}")
        if caps[1] is not None and load[1] > caps[1] + 0.5 / qscale:
            out.append(f"vehicle {v.id}: volume {load[1]} m3 over capacity {caps[1]} at {sid}")
    for rid in onboard:
        if by_id[rid].paired:
            out.append(f"vehicle {v.id}: pickup {rid} never delivered")
    total += int(dist[here, index[("depot", v.end_depot or v.depot)]])
    return total


def _timing(
    problem: Problem, v: Vehicle, stops: list[tuple[StopId, Request, bool, int]],
    index: dict[object, int], m: object, tscale: int, fixed: dict[StopId, float], start: int,
    starts: list[int] | None = None,
) -> tuple[int, list[str]]:  # fmt: skip
    """Earliest service starts from a departure: the return time and the missed windows."""
    time = m.time(v.speed())  # type: ignore[attr-defined]
    here = index[("depot", v.depot)]
    clock = start
    late: list[str] = []
    for sid, r, is_delivery, node in stops:
        clock += int(time[here, node])
        here = node
        if sid in fixed:
            clock = max(clock, round(fixed[sid] * tscale))
        else:
            ws = r.destination.windows if is_delivery else r.windows
            windows = sorted((round(a * tscale), round(b * tscale)) for a, b in ws)
            if windows:
                s = next((max(clock, a) for a, b in windows if max(clock, a) <= b), None)
                if s is None:
                    late.append(f"stop {sid} reached at {clock / tscale} after its window {ws}")
                else:
                    clock = s
        if starts is not None:
            starts.append(clock)
        svc = r.destination.service_s if is_delivery else r.service_s
        clock += round(svc * tscale)
    clock += int(time[here, index[("depot", v.end_depot or v.depot)]])
    return clock, late


def service_starts(
    problem: Problem, vehicle: str, route: Sequence[StopId], depart: float
) -> tuple[list[float], float]:
    """Earliest service start of each stop of one route leaving at `depart`, and the return
    time: what a hand-edited route's timeline shows (a missed window keeps the arrival)."""
    v = next(x for x in problem.vehicles if x.id == vehicle)
    by_id = {r.id: r for r in problem.requests}
    points, index = stop_points(problem, set())
    m = build(points, planar=problem.planar, circuity=problem.circuity,
              road_graph=problem.road_graph, scale=problem.scale,  # type: ignore[arg-type]
              round_arcs=problem.round_arcs)  # fmt: skip
    stops = []
    for sid in route:
        text = str(sid)
        rid = text[: -len(":delivery")] if text.endswith(":delivery") else sid
        r = by_id.get(rid) or next(x for x in problem.requests if str(x.id) == str(rid))
        stops.append((sid, r, text.endswith(":delivery"), index[sid]))
    out: list[int] = []
    back, _late = _timing(problem, v, stops, index, m, 1, {}, round(depart), out)
    return [float(x) for x in out], float(back)


def check_plan(problem: Problem, plan: object) -> list[str]:
    """Violations of a `Plan` (routes with their vehicles, drops, and its distance)."""
    details = plan.details  # type: ignore[attr-defined]
    return check_routes(
        problem,
        [r.stops for r in details],
        [r.vehicle for r in details],
        [d.id for d in plan.dropped],  # type: ignore[attr-defined]
        plan.distance,  # type: ignore[attr-defined]
        departs=[r.depart for r in details],
    )
