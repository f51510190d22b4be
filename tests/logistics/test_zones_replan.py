"""Zones stitch back into one feasible plan; re-planning keeps what was done."""

from __future__ import annotations

import math

import numpy as np

import logistics
from logistics import _ortools, plan
from logistics.checker import check_routes
from logistics.model import Request
from logistics.plan import compile_problem
from logistics.replan import replan
from logistics.synthetic import dongguan_day
from logistics.zones import balance, plan_zoned, split
from tests.logistics.helpers import feasible, planar, stop, to, truck
from tests.logistics.test_readers import BENCH


def test_split_partitions_requests_and_fleet() -> None:
    day = dongguan_day(60, 12, seed=3)
    zones = split(day, 3)
    ids = [r.id for z in zones for r in z.requests]
    assert sorted(ids) == sorted(r.id for r in day.requests)
    vids = [v.id for z in zones for v in z.vehicles]
    assert sorted(vids) == sorted(v.id for v in day.vehicles)
    assert all(z.vehicles for z in zones)
    # zones with hazardous lots get the permitted trucks first, one each while they last
    hazardous_zones = [z for z in zones if any(r.hazardous for r in z.requests)]
    permits = sum(v.hazmat for v in day.vehicles)
    covered = [z for z in hazardous_zones if any(v.hazmat for v in z.vehicles)]
    assert hazardous_zones
    assert len(covered) == min(len(hazardous_zones), permits)


def test_zoned_plan_stitches_into_a_feasible_plan_of_the_whole_day() -> None:
    day = dongguan_day(40, 10, seed=5)
    result = feasible(day, plan_zoned(day, 2, time_limit_s=2))
    served = {s for r in result.routes for s in r} | result.dropped_ids()
    assert {r.id for r in day.requests} <= served


def _line() -> tuple:  # type: ignore[type-arg]
    reqs = [stop(f"S{i}", 0, 10 * i) for i in range(1, 5)]
    reqs.append(stop("X", 5, 0, destination=to("plant", 0, -20)))
    return planar(reqs, [truck("T1"), truck("T2")])


def test_replan_after_an_added_request_keeps_done_stops() -> None:
    p = _line()
    first = feasible(p, plan(p, time_limit_s=1))
    route = max(first.details, key=lambda r: len(r.stops))
    done_n = 2
    now = route.start[done_n - 1] + 1
    extra = Request("new", 3, 25, kg=5)
    new_problem, second = replan(p, first, now_s=int(now), done={route.vehicle: done_n},
                                 added=[extra], time_limit_s=1)  # fmt: skip
    again = next(r for r in second.details if r.vehicle == route.vehicle)
    assert again.stops[:done_n] == route.stops[:done_n]
    assert again.start[:done_n] == route.start[:done_n]
    assert "new" in {s for r in second.routes for s in r}
    fixed = dict(zip(route.stops[:done_n], route.start[:done_n], strict=True))
    vehicles = [r.vehicle for r in second.details]
    problems = check_routes(new_problem, second.routes, vehicles, [d.id for d in second.dropped],
                            fixed=fixed)  # fmt: skip
    assert problems == []
    later = [s for r in second.details for s, t in zip(r.stops, r.start, strict=True)
             if s not in fixed]  # fmt: skip
    assert later
    assert all(
        t >= now for r in second.details for s, t in zip(r.stops, r.start, strict=True)
        if s not in fixed
    )  # fmt: skip


def test_replan_after_a_lost_vehicle_moves_its_remaining_stops() -> None:
    p = _line()
    first = feasible(p, plan(p, time_limit_s=1))
    lost = max(first.details, key=lambda r: len(r.stops))
    _, second = replan(p, first, now_s=int(lost.start[0]) + 1, done={lost.vehicle: 1},
                       lost=[lost.vehicle], time_limit_s=1)  # fmt: skip
    kept = next(r for r in second.details if r.vehicle == lost.vehicle)
    assert kept.stops == lost.stops[:1]
    others = {s for r in second.details if r.vehicle != lost.vehicle for s in r.stops}
    assert set(lost.stops[1:]) <= others | second.dropped_ids()


def test_a_large_day_is_zoned_automatically_and_still_feasible() -> None:
    rng = np.random.default_rng(11)
    reqs = [
        stop(i, float(y), float(x), kg=5) for i, (y, x) in enumerate(rng.uniform(-50, 50, (520, 2)))
    ]
    p = planar(reqs, [truck(f"T{k}", kg=200, shift_end_s=10**6) for k in range(20)])
    result = feasible(p, plan(p, time_limit_s=2))
    assert not result.dropped
    assert len({s for r in result.routes for s in r}) == 520


def test_balance_moves_the_stop_nearest_the_other_zone_so_the_zones_need_a_truck_fewer() -> None:
    # capacity 10: zone 0 holds 11 kg (two trucks), zone 1 holds 9 kg (one truck, 1 kg spare)
    xy = np.array([[0.0, float(i)] for i in range(11)] + [[0.0, 12.0 + i] for i in range(9)])
    labels = np.array([0] * 11 + [1] * 9)
    kg = np.ones(20)
    out = balance(xy, labels, kg, 10.0)
    assert list(out[:10]) == [0] * 10
    assert out[10] == 1
    assert list(out[11:]) == [1] * 9
    # already tight: nothing moves
    assert list(balance(xy, out, kg, 10.0)) == list(out)
    # a hazardous lot stays in its zone (the zone it would join may get no permitted truck)
    fixed = np.zeros(20, dtype=bool)
    fixed[10] = True
    held = balance(xy, labels, kg, 10.0, fixed)
    assert held[10] == 0
    assert list(held[11:]) == [1] * 9


def test_zones_of_x_n1001_need_no_more_trucks_than_the_whole_day() -> None:
    day = logistics.read_vrplib(BENCH / "cvrp/X-n1001-k43.vrp")
    cap = float(day.vehicles[0].kg_capacity)
    whole = math.ceil(sum(float(r.kg) for r in day.requests) / cap)
    zones = split(day, 5)
    trucks = [math.ceil(sum(float(r.kg) for r in z.requests) / cap) for z in zones]
    assert sum(trucks) == whole == 43  # plain k-means zones needed 45
    assert sorted(r.id for z in zones for r in z.requests) == sorted(r.id for r in day.requests)


def test_an_untimed_zone_iterates_without_descent_and_its_plan_is_checked() -> None:
    rng = np.random.default_rng(4)
    reqs = [
        stop(i, float(y), float(x), kg=5) for i, (y, x) in enumerate(rng.uniform(40, 90, (60, 2)))
    ]
    p = planar(reqs, [truck(f"T{k}", kg=60, shift_end_s=10**6) for k in range(8)])
    a = compile_problem(p).arrays
    assert not _ortools.ruin_only(a)  # a whole day keeps its descent
    a.zone = True
    assert _ortools.ruin_only(a)
    assert _ortools.iterates(a, _ortools.MIN_ILS_S)
    assert not _ortools._ils_params(
        a, "SAVINGS", 1.0
    ).iterated_local_search_parameters.improve_perturbed_solution
    result = feasible(p, plan(p, time_limit_s=_ortools.MIN_ILS_S, zone=True))
    assert not result.dropped
    assert result.status == "ROUTING_SUCCESS"
    timed = compile_problem(logistics.read_solomon(BENCH / "vrptw/solomon/R101.txt")).arrays
    timed.zone = True
    assert not _ortools.ruin_only(timed)  # windows keep the descent (Solomon: far worse without)
