"""Small problems for the logistics tests: a planar grid (distances exact, time = distance) and
a few geographic sites in Dongguan."""

from __future__ import annotations

from logistics import Depot, Destination, Problem, Request, Vehicle, check_plan
from logistics.plan import Plan


def planar(requests: list[Request], vehicles: list[Vehicle], depots: list[Depot] | None = None,
           **kw: object) -> Problem:  # fmt: skip
    return Problem(tuple(requests), tuple(vehicles), tuple(depots or [Depot("D", 0, 0)]),
                   planar=True, **kw)  # type: ignore[arg-type]  # fmt: skip


def truck(vid: str, kg: float = 100, depot: str = "D", **kw: object) -> Vehicle:
    kw.setdefault("shift_end_s", 1000)
    return Vehicle(vid, kw.pop("type", "unit"), kg, depot=depot, **kw)  # type: ignore[arg-type]


def stop(rid: object, y: float, x: float, kg: float = 10, **kw: object) -> Request:
    return Request(rid, y, x, kg=kg, **kw)  # type: ignore[arg-type]


def to(kind: str, y: float, x: float, **kw: object) -> Destination:
    return Destination(kind, f"{kind}-{y}-{x}", y, x, **kw)  # type: ignore[arg-type]


def feasible(problem: Problem, plan: Plan) -> Plan:
    """Assert the independent checker finds nothing wrong, and return the plan."""
    problems = check_plan(problem, plan)
    assert problems == [], problems
    return plan
