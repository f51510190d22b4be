"""Route minimisation (`_ortools.fewer_routes`): it empties superfluous routes, keeps every stop
served, never returns a plan worse than its input, and what it returns decodes to a plan the
independent checker accepts."""

from __future__ import annotations

import time

import logistics
from logistics import _ortools, check_plan
from logistics.model import delivery_id
from logistics.plan import Compiled, compile_problem, decode
from tests.logistics.helpers import planar, stop, to, truck
from tests.logistics.test_readers import BENCH


def _solved(c: Compiled, m: _ortools.Model, sol: object) -> logistics.Plan:
    return decode(c, _ortools._extract(c.arrays, m, sol, "test"))


def test_a_superfluous_route_is_emptied_and_the_plan_gets_shorter() -> None:
    # six stops in a row that one truck can carry; the input spreads them over three trucks
    p = planar([stop(i, 0, 10 + i, kg=10) for i in range(6)], [truck(f"T{k}") for k in range(4)])
    c = compile_problem(p)
    m = _ortools.build(c.arrays)
    node = {sid: i for i, sid in enumerate(c.node_stop) if sid is not None}
    spread = [[node[0], node[1]], [node[2], node[3]], [node[4], node[5]], []]
    given = m.routing.ReadAssignmentFromRoutes(spread, True)
    assert given is not None
    before = given.ObjectiveValue()
    best_m, best = _ortools.fewer_routes(c.arrays, m, given, time.monotonic() + 2)
    assert best.ObjectiveValue() < before
    result = _solved(c, best_m, best)
    assert check_plan(p, result) == []
    assert not result.dropped
    assert len(result.routes) < 3


def test_on_tight_windows_it_is_never_worse_than_its_input_and_stays_feasible() -> None:
    p = logistics.read_solomon(BENCH / "vrptw/solomon/RC101.txt")
    c = compile_problem(p)
    m = _ortools.build(c.arrays)
    first = _ortools._search(m.routing, c.arrays, 1.0)
    before = first.ObjectiveValue()
    routes_before = sum(1 for r in _ortools.routes_of(m, first) if r)
    best_m, best = _ortools.fewer_routes(c.arrays, m, first, time.monotonic() + 3)
    assert best.ObjectiveValue() <= before
    result = _solved(c, best_m, best)
    assert check_plan(p, result) == []
    assert not result.dropped
    assert len(result.routes) <= routes_before


def test_the_staged_search_returns_a_checked_plan_with_every_stop() -> None:
    p = logistics.read_solomon(BENCH / "vrptw/solomon/R101.txt")
    result = logistics.plan(p, time_limit_s=_ortools.MIN_STAGED_S)
    assert check_plan(p, result) == []
    assert not result.dropped
    assert result.status.startswith("ROUTING_")


def test_pairs_survive_the_staged_search() -> None:
    # ruin removes a pickup together with its delivery; route minimisation moves whole routes
    reqs = [
        stop(
            f"P{i}",
            (i % 5) * 3,
            10 + i,
            kg=30,
            windows=((0, 3000),),
            destination=to("plant", 20, 20 + i % 3),
        )
        for i in range(12)
    ]
    p = planar(reqs, [truck(f"T{k}", shift_end_s=5000) for k in range(5)])
    result = logistics.plan(p, time_limit_s=_ortools.MIN_STAGED_S)
    assert check_plan(p, result) == []
    assert not result.dropped
    for route in result.routes:
        for rid in (s for s in route if s in {r.id for r in reqs}):
            assert route.index(rid) < route.index(delivery_id(rid))
