"""Readers for the standard benchmark files (see ../shared/benchmarks/README.md).

Both return a planar, distance-only `Problem` whose request ids are the file's customer
numbers, so a plan's routes read like a published solution. Solomon / Gehring-Homberger:
travel time equals Euclidean distance, `DUE DATE` is the latest service start, the depot row
is the horizon; distances are Euclidean × 100 rounded (the benchmark's integer matrix).
VRPLIB CVRP: arcs rounded to the nearest integer (TSPLIB `nint`), depot node 1, customers
keep their node numbers minus one (1…n-1) as PyVRP and CVRPLIB solutions number them; the
fleet is not limited, so twice the capacity bound plus five vehicles are offered (more than
any good solution uses, without a thousand empty vehicles slowing the search).
"""

from __future__ import annotations

import math
from pathlib import Path

from logistics.model import Depot, Problem, Request, Vehicle


def read_solomon(path: str | Path, scale: int = 100) -> Problem:
    """A Solomon-format VRPTW file (Solomon 100, Gehring & Homberger)."""
    lines = Path(path).read_text().splitlines()
    name = lines[0].strip()
    head = next(i for i, ln in enumerate(lines) if ln.strip().upper().startswith("NUMBER"))
    fleet, capacity = (int(x) for x in lines[head + 1].split()[:2])
    start = next(i for i, ln in enumerate(lines) if ln.strip().upper().startswith("CUST"))
    rows = [ln.split() for ln in lines[start + 1 :] if ln.strip()]
    rows = [r for r in rows if len(r) >= 7 and r[0].isdigit()]
    depot_row = rows[0]
    depot = Depot("0", float(depot_row[2]), float(depot_row[1]))
    horizon = int(float(depot_row[5]))
    requests = tuple(
        Request(
            id=int(r[0]),
            lat=float(r[2]),
            lon=float(r[1]),
            kg=int(float(r[3])),
            windows=((int(float(r[4])), int(float(r[5]))),),
            service_s=int(float(r[6])),
        )
        for r in rows[1:]
    )
    vehicles = tuple(
        Vehicle(id=str(k), type="unit", kg_capacity=capacity, depot="0", shift_end_s=horizon)
        for k in range(fleet)
    )
    return Problem(requests, vehicles, (depot,), planar=True, name=name, distance_only=True,
                   scale=scale)  # fmt: skip


def read_vrplib(path: str | Path) -> Problem:
    """A VRPLIB/TSPLIB CVRP file with EUC_2D distances."""
    spec: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if ":" in line and not line[0].isdigit() and line[0] != "-":
            key, _, value = line.partition(":")
            spec[key.strip().upper()] = value.strip().strip('"')
            current = None
        elif line.upper().endswith("SECTION"):
            current = line.upper()
            sections[current] = []
        elif current is not None:
            sections[current].append(line.split())
    if spec.get("EDGE_WEIGHT_TYPE", "EUC_2D") != "EUC_2D":
        raise ValueError(f"EDGE_WEIGHT_TYPE {spec['EDGE_WEIGHT_TYPE']} is not supported")
    capacity = int(spec["CAPACITY"])
    coords = {int(r[0]): (float(r[2]), float(r[1])) for r in sections["NODE_COORD_SECTION"]}
    demand = {int(r[0]): int(r[1]) for r in sections["DEMAND_SECTION"]}
    depots = [int(r[0]) for r in sections.get("DEPOT_SECTION", [["1"]]) if int(r[0]) > 0]
    depot_node = depots[0]
    lat, lon = coords[depot_node]
    customers = sorted(n for n in coords if n != depot_node)
    requests = tuple(
        Request(id=n - 1, lat=coords[n][0], lon=coords[n][1], kg=demand[n]) for n in customers
    )
    total = sum(demand[n] for n in customers)
    fleet = max(1, min(len(customers), 2 * math.ceil(total / capacity) + 5))
    vehicles = tuple(
        Vehicle(id=str(k), type="unit", kg_capacity=capacity, depot="0", shift_end_s=10**9)
        for k in range(fleet)
    )
    return Problem(requests, vehicles, (Depot("0", lat, lon),), planar=True,
                   name=spec.get("NAME", Path(path).stem), distance_only=True,
                   round_arcs=True)  # fmt: skip
