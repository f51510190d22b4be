"""Re-planning during the day: a request is added or a vehicle is lost.

What has been done stays done: for every vehicle the stops already served (`done[vehicle]`,
a count from the start of its route) are locked as the fixed beginning of its new route, at
the times they were served; the rest of the day is planned again from `now`, with the added
requests. A lost vehicle keeps only its finished stops (its route is closed after them). A
load it picked up for a plant or station and had not delivered cannot move to another truck:
in the updated problem that request ends on the lost truck (destination: its depot), and its
delivery is reported dropped as `vehicle_lost`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from logistics import _ortools
from logistics.model import Destination, Problem, Request, StopId, delivery_id
from logistics.plan import VEHICLE_LOST, Dropped, Plan, compile_problem, decode


def replan(
    problem: Problem,
    previous: Plan,
    *,
    now_s: int,
    done: Mapping[str, int] | None = None,
    added: Iterable[Request] = (),
    lost: Iterable[str] = (),
    time_limit_s: float = 5.0,
) -> tuple[Problem, Plan]:
    """The updated problem and its new plan (check it with `check_plan`)."""
    done = dict(done or {})
    lost = set(lost)
    by_vehicle = {r.vehicle: r for r in previous.details}
    finished: dict[str, list[StopId]] = {
        v: by_vehicle[v].stops[:n] for v, n in done.items() if v in by_vehicle and n > 0
    }
    stranded: set[StopId] = set()
    for v in lost & set(finished):
        for sid in finished[v]:
            if delivery_id(sid) in by_vehicle[v].stops and delivery_id(sid) not in finished[v]:
                stranded.add(sid)
    requests = tuple(
        replace(r, destination=Destination()) if r.id in stranded else r for r in problem.requests
    ) + tuple(added)
    new_problem = replace(problem, requests=requests)
    c = compile_problem(new_problem)
    node_of = {sid: i for i, sid in enumerate(c.node_stop) if sid is not None}
    vindex = {v.id: k for k, v in enumerate(c.vehicles)}
    a = c.arrays
    tscale = problem.scale if problem.planar and not problem.round_arcs else 1
    for vid, stops in finished.items():
        if vid not in vindex:
            continue
        k = vindex[vid]
        route = by_vehicle[vid]
        a.locks[k] = [node_of[s] for s in stops]
        for s, t in zip(stops, route.start, strict=False):
            a.lock_times[node_of[s]] = round(t * tscale)
        depart = round(route.depart * tscale)
        a.shift[k] = (depart, a.shift[k][1])
    for vid, k in vindex.items():
        if vid in lost:
            a.closed.add(k)
        elif vid not in finished:
            a.earliest_start[k] = max(a.shift[k][0], now_s * tscale)
    a.not_before = now_s * tscale
    new_plan = decode(c, _ortools.solve(a, time_limit_s))
    new_plan.dropped.extend(
        Dropped(delivery_id(rid), VEHICLE_LOST, "已装车的车辆不可用")
        for rid in sorted(stranded, key=str)
    )
    return new_problem, new_plan
