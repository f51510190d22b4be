"""Validation names the stop or vehicle and the field; the plan comes back for the rest."""

from __future__ import annotations

import pytest

from logistics import Depot, InvalidProblem, Problem, Request, Vehicle, check, plan, validate
from tests.logistics.helpers import feasible, planar, stop, truck


def _issues(problem: Problem) -> set[tuple[str, object, str]]:
    return {(i.subject, i.id, i.field) for i in validate(problem)}


def test_each_kind_of_bad_input_is_named() -> None:
    p = Problem(
        requests=(
            Request("no-coords", None, None, kg=5),
            Request("backwards", 22.9, 113.7, kg=5, windows=((3600, 1800),)),
            Request("negative", 22.9, 113.7, kg=-1),
            Request("far-off", 95.0, 113.7, kg=1),
        ),
        vehicles=(
            Vehicle("no-depot", "van", 1000),
            Vehicle("ghost-depot", "van", 1000, depot="nowhere"),
            Vehicle("no-capacity", "van", 0, depot="D"),
            Vehicle("bad-shift", "van", 10, depot="D", shift_start_s=10, shift_end_s=5),
            Vehicle("bad-type", "hovercraft", 10, depot="D"),
        ),
        depots=(Depot("D", 22.9, 113.7),),
    )
    assert _issues(p) == {
        ("request", "no-coords", "lat/lon"),
        ("request", "backwards", "windows"),
        ("request", "negative", "kg"),
        ("request", "far-off", "lat/lon"),
        ("vehicle", "no-depot", "depot"),
        ("vehicle", "ghost-depot", "depot"),
        ("vehicle", "no-capacity", "kg_capacity"),
        ("vehicle", "bad-shift", "shift_end_s"),
        ("vehicle", "bad-type", "type"),
    }
    with pytest.raises(InvalidProblem) as err:
        check(p)
    assert "no-coords" in str(err.value)
    assert len(err.value.issues) == 9


def test_empty_fleet_and_duplicates_are_reported() -> None:
    p = planar([stop(1, 0, 1), stop(1, 0, 2)], [])
    assert ("problem", "", "vehicles") in _issues(p)
    assert ("request", 1, "id") in _issues(p)
    result = plan(p, time_limit_s=0.5)
    assert result.routes == []
    assert result.status == "no_vehicles"
    assert {d.reason for d in result.dropped} <= {"no_permitted_vehicle", "invalid"}


def test_the_plan_still_comes_back_for_everything_else() -> None:
    p = planar(
        [
            stop("ok-1", 0, 10),
            stop("ok-2", 10, 0),
            Request("nowhere", None, 5, kg=1),
            stop("backwards", 0, 5, windows=((50, 10),)),
        ],
        [truck("good"), Vehicle("lost", "unit", 100)],
    )
    result = feasible(p, plan(p, time_limit_s=0.5))
    assert sorted(s for r in result.routes for s in r) == ["ok-1", "ok-2"]
    reasons = {d.id: d.reason for d in result.dropped}
    assert reasons == {"nowhere": "invalid", "backwards": "invalid"}
    assert "lat/lon" in next(d.message for d in result.dropped if d.id == "nowhere")
    assert any(i.id == "lost" and i.field == "depot" for i in result.issues)
    assert [d.vehicle for d in result.details] == ["good"]
