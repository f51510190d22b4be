"""The checker catches broken plans (and passes good ones)."""

from __future__ import annotations

import pytest

from logistics import check_routes
from logistics.model import delivery_id
from tests.logistics.helpers import planar, stop, to, truck


@pytest.fixture
def problem():  # type: ignore[no-untyped-def]
    return planar(
        [
            stop("A", 0, 10, kg=60, windows=((0, 15),)),
            stop("B", 0, 20, kg=60),
            stop("H", 0, 5, kg=1, hazardous=True),
            stop("P", 5, 0, kg=10, destination=to("plant", 10, 0)),
        ],
        [truck("T1"), truck("T2"), truck("HZ", hazmat=True)],
    )


def test_a_good_plan_passes(problem) -> None:  # type: ignore[no-untyped-def]
    routes = [["A"], ["B", "P", delivery_id("P")], ["H"]]
    # A: 10 + 10; B, P, delivery: 20 + (20² + 5²)^½ + 5 + 10; H: 5 + 5
    distance = 20 + 20 + (425**0.5) + 5 + 10 + 10
    assert check_routes(problem, routes, ["T1", "T2", "HZ"], distance=round(distance, 2)) == []


@pytest.mark.parametrize(
    ("routes", "vehicles", "dropped", "expected"),
    [
        ([["A", "B"], ["P", delivery_id("P")], ["H"]], ["T1", "T2", "HZ"], [], "over capacity"),
        ([["B", "A"], ["P", delivery_id("P")], ["H"]], ["T1", "T2", "HZ"], [], "after its window"),
        ([["A"], [delivery_id("P"), "P"], ["H"], ["B"]], ["T1", "T2", "HZ", "HZ"], [],
         "before its pickup"),
        ([["A"], ["B"], ["H", "P", delivery_id("P")]], ["T1", "T2", "T1"], [], "two routes"),
        ([["A", "H"], ["B", "P", delivery_id("P")]], ["T1", "T2"], [], "without permit"),
        ([["A"], ["B", "B"], ["H", "P", delivery_id("P")]], ["T1", "T2", "HZ"], [],
         "served [2] times"),
        ([["A"], ["P", delivery_id("P")], ["H"]], ["T1", "T2", "HZ"], [], "served [0] times"),
        ([["A"], ["B", "P"], ["H"]], ["T1", "T2", "HZ"], [], "never delivered"),
        ([["A"], ["B"], ["H", "P", delivery_id("P")]], ["T1", "T2", "HZ"], ["B"],
         "both served and dropped"),
        ([["A"], ["B", "Z"], ["H", "P", delivery_id("P")]], ["T1", "T2", "HZ"], [],
         "unknown stop"),
    ],
)  # fmt: skip
def test_broken_plans_are_caught(problem, routes, vehicles, dropped, expected) -> None:  # type: ignore[no-untyped-def]
    problems = check_routes(problem, routes, vehicles, dropped)
    assert any(expected in p for p in problems), problems


def test_wrong_distance_and_shift_are_caught() -> None:
    p = planar([stop("far", 0, 40)], [truck("T", max_shift_s=70)])
    assert check_routes(p, [["far"]], ["T"], distance=80.0) == ["vehicle T: shift 80.0 over 70"]
    short = planar([stop("far", 0, 40)], [truck("T")])
    assert check_routes(short, [["far"]], ["T"], distance=80.0) == []
    assert "differs" in check_routes(short, [["far"]], ["T"], distance=79.0)[0]
    late = planar([stop("far", 0, 40)], [truck("T", shift_end_s=70)])
    assert "after shift end" in check_routes(late, [["far"]], ["T"])[0]
