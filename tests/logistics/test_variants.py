"""Each variant the dispatcher needs, on small planar cases whose answer is known; every
plan goes through the independent checker."""

from __future__ import annotations

from logistics import Depot, Request, Vehicle, plan
from logistics.distances import geodesic_km
from logistics.model import Problem, delivery_id
from tests.logistics.helpers import feasible, planar, stop, to, truck


def test_capacity_splits_routes() -> None:
    p = planar([stop(i, 0, 10 + i, kg=60) for i in range(4)], [truck(f"T{k}") for k in range(4)])
    result = feasible(p, plan(p, time_limit_s=1))
    assert len(result.routes) == 4
    assert not result.dropped
    assert all(max(r.load_kg) <= 100 for r in result.details)


def test_volume_capacity_binds_too() -> None:
    reqs = [stop(i, 0, 10 + i, kg=1, m3=6) for i in range(2)]
    fleet = [truck(f"T{k}", m3_capacity=8) for k in range(2)]
    result = feasible(planar(reqs, fleet), plan(planar(reqs, fleet), time_limit_s=1))
    assert len(result.routes) == 2


def test_time_windows_decide_the_order() -> None:
    a = stop("A", 0, 10, windows=((0, 15),))
    b = stop("B", 0, -10, windows=((40, 50),))
    p = planar([a, b], [truck("T")])
    result = feasible(p, plan(p, time_limit_s=1))
    assert result.routes == [["A", "B"]]
    route = result.details[0]
    # the truck leaves as late as it can (less waiting, shorter shift): A at its window's end
    assert result.arrival["A"] - route.depart == 10
    assert route.start[0] <= 15
    assert route.start[1] == 40
    assert result.arrival["B"] == route.start[0] + 20
    swapped = planar([stop("A", 0, 10, windows=((40, 50),)), stop("B", 0, -10, windows=((0, 15),))],
                     [truck("T")])  # fmt: skip
    assert feasible(swapped, plan(swapped, time_limit_s=1)).routes == [["B", "A"]]


def test_split_opening_hours_are_respected() -> None:
    # open 0–5 and 50–60: unreachable in the morning (distance 10), so served in 50–60
    p = planar([stop("A", 0, 10, windows=((0, 5), (50, 60)))], [truck("T")])
    result = feasible(p, plan(p, time_limit_s=1))
    assert 50 <= result.details[0].start[0] <= 60


def test_pickup_and_delivery_in_the_same_vehicle() -> None:
    reqs = [
        stop("P1", 0, 10, kg=80, destination=to("plant", 0, 20)),
        stop("P2", 0, 5, kg=80, destination=to("station", 0, -5)),
    ]
    p = planar(reqs, [truck("T")])
    result = feasible(p, plan(p, time_limit_s=1))
    (route,) = result.routes
    assert sorted(route, key=str) == sorted(["P1", "P2", delivery_id("P1"), delivery_id("P2")])
    for rid in ("P1", "P2"):  # each delivered after its pickup, and never both on board
        assert route.index(rid) + 1 == route.index(delivery_id(rid))
    assert max(result.details[0].load_kg) == 80


def test_several_depots_each_truck_serves_its_side() -> None:
    depots = [Depot("W", 0, 0), Depot("E", 0, 100)]
    reqs = [stop("w1", 0, 10), stop("w2", 5, 5), stop("e1", 0, 90), stop("e2", 5, 95)]
    p = planar(reqs, [truck("TW", depot="W"), truck("TE", depot="E")], depots)
    result = feasible(p, plan(p, time_limit_s=1))
    by_vehicle = {r.vehicle: set(r.stops) for r in result.details}
    assert by_vehicle == {"TW": {"w1", "w2"}, "TE": {"e1", "e2"}}


def test_mixed_fleet_with_hazardous_only_on_permitted_vehicles() -> None:
    reqs = [stop("haz", 0, 10, hazardous=True, hw_codes=("HW08",)), stop("plain", 0, 11)]
    fleet = [truck("open-truck"), truck("permit", kg=50, hazmat=True)]
    p = planar(reqs, fleet)
    result = feasible(p, plan(p, time_limit_s=1))
    holder = next(r.vehicle for r in result.details if "haz" in r.stops)
    assert holder == "permit"
    none_permitted = planar(reqs, [truck("open-truck")])
    result = feasible(none_permitted, plan(none_permitted, time_limit_s=1))
    assert [(d.id, d.reason) for d in result.dropped] == [("haz", "no_permitted_vehicle")]
    assert result.routes == [["plain"]]


def test_maximum_shift_length() -> None:
    reqs = [stop("n", 30, 0), stop("e", 0, 30), stop("far", 0, 60)]
    fleet = [truck(f"T{k}", max_shift_s=100) for k in range(3)]
    p = planar(reqs, fleet)
    result = feasible(p, plan(p, time_limit_s=1))
    # n and e together take 30 + 42.4 + 30 > 100: two trucks; far needs 120 > 100: dropped
    assert sorted(sorted(r) for r in result.routes) == [["e"], ["n"]]
    assert [(d.id, d.reason) for d in result.dropped] == [("far", "window_unreachable")]


def test_fixed_cost_per_vehicle_reduces_the_fleet_used() -> None:
    depots = [Depot("W", 0, 0), Depot("E", 0, 100)]
    reqs = [stop("a", 0, 10), stop("b", 0, 90)]

    def fleet(day_fen: int) -> list[Vehicle]:
        return [truck("TW", depot="W", cost_per_day_fen=day_fen),
                truck("TE", depot="E", cost_per_day_fen=day_fen)]  # fmt: skip

    free = planar(reqs, fleet(0), depots)
    assert len(feasible(free, plan(free, time_limit_s=1)).routes) == 2
    # without per-km costs the objective is the integer distance (here units × 100) and a fen
    # of fixed cost weighs 1,000 of it: the second truck's 200,000 exceed the one long
    # route's extra 140 units (14,000)
    dear = planar(reqs, fleet(200), depots)
    assert len(feasible(dear, plan(dear, time_limit_s=1)).routes) == 1


def test_dropped_with_reasons() -> None:
    reqs = [
        stop("heavy", 0, 10, kg=500),
        stop("too-late", 0, 10, windows=((0, 5),)),
        stop("a", 0, 20, kg=80),
        stop("b", 0, 21, kg=80),
    ]
    p = planar(reqs, [truck("T")])
    result = feasible(p, plan(p, time_limit_s=1))
    reasons = {d.id: d.reason for d in result.dropped}
    assert reasons.pop("heavy") == "over_capacity"
    assert reasons.pop("too-late") == "window_unreachable"
    # a and b fit alone but not together: one is left out because the fleet is full
    assert list(reasons.values()) == ["over_capacity"]
    assert len(result.routes) == 1
    assert len(result.routes[0]) == 1
    assert all(d.message for d in result.dropped)


def test_geographic_day_uses_geodesic_times_circuity_and_speed() -> None:
    depot = Depot("大岭山", 22.905, 113.770)
    site = Request("厂A", 22.940, 113.673, kg=800, service_s=600)
    van = Vehicle("V1", "van", 1500, depot="大岭山", shift_start_s=8 * 3600,
                  shift_end_s=18 * 3600)  # fmt: skip
    p = Problem((site,), (van,), (depot,), circuity=1.3)
    result = feasible(p, plan(p, time_limit_s=1))
    km = geodesic_km((22.905, 113.770), (22.940, 113.673)) * 1.3
    assert abs(result.distance - 2 * km) < 0.01
    travel = result.arrival["厂A"] - result.details[0].depart
    assert abs(travel - km / 35.0 * 3600) <= 1
