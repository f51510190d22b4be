"""Routing benchmark: the OR-Tools planner against PyVRP and the best-known solutions, and
consolidated routes against one trip per request on a synthetic Dongguan day.

    .venv/bin/python benchmarks/vrptw.py [--sets solomon,dongguan] [--all]
        [--solomon-s 10] [--gh-s 30] [--large-s 60] [--cvrp-s 10] [--dongguan-s 30]
        [--instances C101,R101]

Sets: `solomon` (the 12 Solomon instances of issue 9 at 10 s), `gh200` (c1_2_1 r1_2_1 rc1_2_1
r2_2_1 at 30 s), `cvrp` (X-n101, X-n200, X-n502), `large` (X-n1001-k43, 1,000 stops, at 60 s),
`dongguan` (200 pickups, KPIs against direct trips). Default `solomon,dongguan` (about 5 min);
`--all` runs every set (about 15 min). Both solvers get the same integer matrix (Euclidean ×
100 rounded for Solomon files, TSPLIB nint for X), a distance-only objective and the same
time limit, one after the other in this process; every solution of both is checked by
`logistics.checker` (all served, capacity, windows). Gaps are to `bks.csv`: `dist_real` where
it exists, else `dist_dimacs` (Homberger), `cvrp_int` for X. The last line is the headline:
mean distance ratio planner / PyVRP per set, and the Dongguan km saving.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyvrp  # noqa: E402
from pyvrp.stop import MaxRuntime  # noqa: E402

import logistics  # noqa: E402
from benchmarks.common import shared_dir  # noqa: E402
from logistics.checker import check_routes  # noqa: E402
from logistics.kpis import compare  # noqa: E402
from logistics.plan import Compiled, compile_problem  # noqa: E402
from logistics.synthetic import dongguan_day  # noqa: E402

BENCH = shared_dir() / "benchmarks"

SETS = {
    "solomon": [
        f"vrptw/solomon/{n}.txt"
        for n in (
            "C101",
            "C105",
            "C201",
            "R101",
            "R105",
            "R109",
            "R201",
            "R205",
            "RC101",
            "RC105",
            "RC201",
            "RC205",
        )
    ],
    "gh200": [f"vrptw/homberger_200/{n}.txt" for n in ("c1_2_1", "r1_2_1", "rc1_2_1", "r2_2_1")],
    "cvrp": ["cvrp/X-n101-k25.vrp", "cvrp/X-n200-k36.vrp", "cvrp/X-n502-k39.vrp"],
    "large": ["cvrp/X-n1001-k43.vrp"],
}
LIMIT_ARG = {"solomon": "solomon_s", "gh200": "gh_s", "cvrp": "cvrp_s", "large": "large_s"}


@dataclass
class Result:
    distance: float
    vehicles: int
    seconds: float
    problems: list[str]


def bks() -> dict[tuple[str, str], float]:
    """(name, convention) → best-known distance."""
    with (BENCH / "bks.csv").open() as f:
        return {(r["name"], r["convention"]): float(r["distance"]) for r in csv.DictReader(f)}


def best_known(table: dict[tuple[str, str], float], name: str) -> tuple[float, str] | None:
    for convention in ("dist_real", "dist_dimacs", "cvrp_int"):
        if (name, convention) in table:
            return table[(name, convention)], convention
    return None


def pyvrp_data(c: Compiled) -> pyvrp.ProblemData:
    """The compiled problem as PyVRP data: the very same integer matrix, windows, service
    times, demands and fleet (one depot, one vehicle type — what the benchmark files have)."""
    a = c.arrays
    n = a.n
    service = [int(a.times[0][i, (i + 1) % n] - a.dist[i, (i + 1) % n]) for i in range(n)]
    locations = [pyvrp.Location(x=float(lon), y=float(lat)) for lat, lon in c.points]
    horizon = a.shift[0][1]
    depot = pyvrp.Depot(location=0, tw_early=a.shift[0][0], tw_late=horizon)
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[a.loads[0][1][i]],
            service_duration=service[i],
            tw_early=min(w[0] for w in a.windows[i]),
            tw_late=max(w[1] for w in a.windows[i]),
        )
        for i in range(1, n)
    ]
    vt = pyvrp.VehicleType(
        num_available=len(a.starts), capacity=[a.loads[0][2][0]], tw_early=a.shift[0][0],
        tw_late=horizon,
    )  # fmt: skip
    dist = np.asarray(a.dist, dtype=np.int64)
    return pyvrp.ProblemData(locations, clients, [depot], [vt], [dist], [dist.copy()])


def run_ours(problem: logistics.Problem, limit: float) -> Result:
    t = time.perf_counter()
    plan = logistics.plan(problem, time_limit_s=limit)
    seconds = time.perf_counter() - t
    problems = logistics.check_plan(problem, plan)
    if plan.dropped:
        problems.append(f"{len(plan.dropped)} stops dropped")
    return Result(plan.distance, len(plan.routes), seconds, problems)


def run_pyvrp(problem: logistics.Problem, limit: float) -> Result:
    c = compile_problem(problem)
    data = pyvrp_data(c)
    t = time.perf_counter()
    res = pyvrp.solve(data, stop=MaxRuntime(limit), seed=1, collect_stats=False, display=False)
    seconds = time.perf_counter() - t
    sol = res.best
    # client k of the data is node k + 1 (node 0 is the depot)
    routes = [[c.node_stop[act.idx + 1] for act in r if act.is_client()] for r in sol.routes()]
    problems = [] if sol.is_feasible() else ["PyVRP: infeasible"]
    problems += check_routes(problem, routes)  # type: ignore[arg-type]
    return Result(sol.distance() * c.matrices.unit_km, sol.num_routes(), seconds, problems)


def bench_instances(files: list[str], limit: float, table: dict) -> list[float]:  # type: ignore[type-arg]
    """Prints one line per instance; returns the ratios planner / PyVRP."""
    ratios = []
    for rel in files:
        path = BENCH / rel
        read = logistics.read_vrplib if path.suffix == ".vrp" else logistics.read_solomon
        problem = read(path)
        ours = run_ours(problem, limit)
        ref = run_pyvrp(problem, limit)
        known = best_known(table, path.stem)
        ratio = ours.distance / ref.distance

        def gap(d: float, known: tuple[float, str] | None = known) -> str:
            return f"{100 * (d / known[0] - 1):+.2f}%" if known else "n/a"

        ratios.append(ratio)
        flag = "" if not ours.problems and not ref.problems else (
            f"  CHECK ours={ours.problems[:2]} pyvrp={ref.problems[:2]}")  # fmt: skip
        print(
            f"{path.stem:12s} n={len(problem.requests):4d} limit={limit:g}s"
            f" | planner {ours.distance:10.2f} veh={ours.vehicles:3d} gap={gap(ours.distance)}"
            f" ({ours.seconds:.1f}s)"
            f" | PyVRP {ref.distance:10.2f} veh={ref.vehicles:3d} gap={gap(ref.distance)}"
            f" ({ref.seconds:.1f}s)"
            f" | BKS {known[0] if known else 'n/a'} [{known[1] if known else ''}]"
            f" | ratio {ratio:.4f}{flag}",
            flush=True,
        )
    return ratios


def bench_dongguan(limit: float, n: int = 200) -> float:
    """Consolidated plan vs one direct trip per request; returns the km saving."""
    day = dongguan_day(n)
    t = time.perf_counter()
    plan = logistics.plan(day, time_limit_s=limit)
    seconds = time.perf_counter() - t
    problems = logistics.check_plan(day, plan)
    cmp = compare(day, plan)
    p, b = cmp.plan, cmp.baseline
    served = {s for r in plan.routes for s in r if not str(s).endswith(":delivery")}
    print(
        f"dongguan-{n}: served {len(served)} pickups"
        f" ({len(plan.dropped)} dropped) in {p.vehicles} routes, {seconds:.1f}s,"
        f" checker: {'ok' if not problems else problems[:2]}"
    )
    print(
        f"  planner : {p.km:8.1f} km {p.vehicle_hours:6.1f} veh-h load factor {p.load_factor:.2f}"
        f" empty {100 * p.empty_share:4.1f}% CO2 {p.co2_kg:7.1f} kg"
    )
    print(
        f"  direct  : {b.km:8.1f} km {b.vehicle_hours:6.1f} veh-h load factor {b.load_factor:.2f}"
        f" empty {100 * b.empty_share:4.1f}% CO2 {b.co2_kg:7.1f} kg ({b.vehicles} trips)"
    )
    print(
        f"  saving  : km {100 * cmp.km_saving:.1f}%  CO2 {100 * cmp.co2_saving:.1f}%"
        f"  vehicle-hours {100 * cmp.hours_saving:.1f}%  (goal km ≥ 25 %)"
    )
    return cmp.km_saving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="solomon,dongguan")
    parser.add_argument("--all", action="store_true", help="every set")
    parser.add_argument("--instances", default="", help="only these file stems")
    parser.add_argument("--solomon-s", type=float, default=10.0)
    parser.add_argument("--gh-s", type=float, default=30.0)
    parser.add_argument("--cvrp-s", type=float, default=10.0)
    parser.add_argument("--large-s", type=float, default=60.0)
    parser.add_argument("--dongguan-s", type=float, default=30.0)
    args = parser.parse_args()
    sets = [*SETS, "dongguan"] if args.all else args.sets.split(",")
    only = set(filter(None, args.instances.split(",")))
    table = bks()
    headlines = []
    for name in sets:
        if name == "dongguan":
            saving = bench_dongguan(args.dongguan_s)
            headlines.append(f"dongguan-200 km saving {100 * saving:.1f}% vs direct trips")
            continue
        files = [f for f in SETS[name] if not only or Path(f).stem in only]
        if not files:
            continue
        limit = getattr(args, LIMIT_ARG[name])
        print(f"== {name} ({len(files)} instances, {limit:g} s each)", flush=True)
        ratios = bench_instances(files, limit, table)
        mean = statistics.fmean(ratios)
        print(f"{name}: mean ratio planner/PyVRP {mean:.4f} (worst {max(ratios):.4f})")
        headlines.append(f"{name} mean ratio planner/PyVRP {mean:.4f}")
    print("headline: " + "; ".join(headlines))


if __name__ == "__main__":
    main()
