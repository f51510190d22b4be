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


def test_console_plans_a_file_and_prints_checked_routes() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "logistics", str(BENCH / "vrptw/solomon/C201.txt"),
         "--time-limit", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Route #1: ")
    assert lines[-1].endswith("checker ok")
    served = sorted(int(x) for ln in lines[:-1] for x in ln.split(": ")[1].split())
    assert served == list(range(1, 101))


def test_readers_agree_with_vrplib_on_every_shared_file() -> None:
    """vrplib (the reference parser PyVRP uses) reads the same numbers from each file."""
    import vrplib

    for path in sorted((BENCH / "vrptw").rglob("*.txt")) + sorted((BENCH / "cvrp").glob("*.vrp")):
        solomon = path.suffix == ".txt"
        ref = vrplib.read_instance(path, instance_format="solomon" if solomon else "vrplib")
        p = logistics.read_solomon(path) if solomon else logistics.read_vrplib(path)
        assert float(p.vehicles[0].kg_capacity) == ref["capacity"], path
        coords = [(p.depots[0].lon, p.depots[0].lat)] + [(r.lon, r.lat) for r in p.requests]
        assert coords == [tuple(map(float, c)) for c in ref["node_coord"]], path
        assert [0] + [r.kg for r in p.requests] == [int(d) for d in ref["demand"]], path
        if solomon:
            assert len(p.vehicles) == ref["vehicles"]
            windows = [tuple(map(int, w)) for w in ref["time_window"][1:]]
            assert [r.windows[0] for r in p.requests] == windows, path
            assert [r.service_s for r in p.requests] == [int(x) for x in ref["service_time"][1:]]
