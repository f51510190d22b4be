"""The benchmark readers against the files' known sizes, and a plan close to the BKS."""

from __future__ import annotations

import csv

import logistics
from tests.conftest import SHARED
from tests.logistics.helpers import feasible

BENCH = SHARED / "benchmarks"


def _bks(name: str, convention: str) -> float:
    with (BENCH / "bks.csv").open() as f:
        return next(
            float(r["distance"])
            for r in csv.DictReader(f)
            if r["name"] == name and r["convention"] == convention
        )


def test_read_solomon_c101() -> None:
    p = logistics.read_solomon(BENCH / "vrptw/solomon/C101.txt")
    assert p.name == "C101"
    assert len(p.requests) == 100
    assert len(p.vehicles) == 25
    assert {float(v.kg_capacity) for v in p.vehicles} == {200}
    first = p.requests[0]
    assert (first.id, first.lon, first.lat, first.kg) == (1, 45, 68, 10)
    assert first.windows == ((912, 967),)
    assert first.service_s == 90
    assert p.vehicles[0].shift_end_s == 1236


def test_read_homberger_200() -> None:
    p = logistics.read_solomon(BENCH / "vrptw/homberger_200/c1_2_1.txt")
    assert len(p.requests) == 200
    assert len(p.vehicles) == 50
    assert [r.id for r in p.requests] == list(range(1, 201))


def test_read_vrplib_x_n101() -> None:
    p = logistics.read_vrplib(BENCH / "cvrp/X-n101-k25.vrp")
    assert len(p.requests) == 100
    assert {float(v.kg_capacity) for v in p.vehicles} == {206}
    assert [r.id for r in p.requests] == list(range(1, 101))
    assert (p.depots[0].lon, p.depots[0].lat) == (365, 689)


def test_plan_of_c101_is_feasible_and_near_the_best_known() -> None:
    p = logistics.read_solomon(BENCH / "vrptw/solomon/C101.txt")
    result = feasible(p, logistics.plan(p, time_limit_s=2))
    assert not result.dropped
    assert sorted(s for r in result.routes for s in r) == list(range(1, 101))
    assert result.distance <= 1.05 * _bks("C101", "dist_real")


def test_plan_of_x_n101_is_feasible_and_near_the_best_known() -> None:
    p = logistics.read_vrplib(BENCH / "cvrp/X-n101-k25.vrp")
    result = feasible(p, logistics.plan(p, time_limit_s=2))
    assert not result.dropped
    assert result.distance <= 1.08 * _bks("X-n101-k25", "cvrp_int")
