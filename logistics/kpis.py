"""Route KPIs and the one-trip-per-request baseline they are judged against.

Per plan: km, vehicle-hours, load factor (tonne-km carried / tonne-km of capacity driven),
empty-running share (km driven with nothing on board), and CO2e from DEFRA 2025 per-km factors
by vehicle class and laden state, interpolated by each leg's load (logistics/data). The same
figures for the baseline — each served request fetched by its own trip in the smallest truck
allowed to carry it (depot → site → destination → depot) — show what consolidation saves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from logistics.distances import Matrices, build
from logistics.model import (
    VEHICLE_TYPES,
    Problem,
    Request,
    StopId,
    Vehicle,
    stop_points,
    validate,
)

DATA = Path(__file__).with_name("data") / "defra_freight_2025.csv"


@cache
def factors() -> dict[str, list[tuple[float, float, float]]]:
    """class → [(laden fraction, tank-to-wheel, well-to-tank) kg CO2e/km] sorted by laden."""
    out: dict[str, list[tuple[float, float, float]]] = {}
    with DATA.open(newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["class"], []).append(
                (
                    float(row["laden_pct"]) / 100.0,
                    float(row["ttw_kgco2e_per_km"]),
                    float(row["wtt_kgco2e_per_km"] or 0.0),
                )
            )
    return {k: sorted(v) for k, v in out.items()}


def co2_per_km(vehicle_type: str, laden: float, well_to_wheel: bool = False) -> float:
    """kg CO2e per km for a vehicle type at a laden fraction (0…1, clipped)."""
    cls = str(VEHICLE_TYPES.get(vehicle_type, {}).get("defra", ""))
    pts = factors().get(cls)
    if not pts:
        return 0.0
    x = min(1.0, max(0.0, laden))
    ttw = float(np.interp(x, [p[0] for p in pts], [p[1] for p in pts]))
    wtt = float(np.interp(x, [p[0] for p in pts], [p[2] for p in pts]))
    return ttw + wtt if well_to_wheel else ttw


@dataclass(frozen=True)
class Kpis:
    km: float
    vehicle_hours: float
    vehicles: int
    load_factor: float
    empty_share: float
    co2_kg: float


@dataclass(frozen=True)
class Comparison:
    plan: Kpis
    baseline: Kpis
    km_saving: float  # fraction of baseline km saved
    co2_saving: float
    hours_saving: float


class _Legs:
    """Accumulates legs: km, laden km and tonne-km against capacity, and CO2."""

    def __init__(self, well_to_wheel: bool) -> None:
        self.km = self.empty_km = self.t_km = self.cap_t_km = self.co2 = 0.0
        self.wtw = well_to_wheel

    def add(self, v: Vehicle, km: float, load_kg: float) -> None:
        cap = float(v.kg_capacity)
        self.km += km
        if load_kg <= 1e-9:
            self.empty_km += km
        self.t_km += km * load_kg / 1000.0
        self.cap_t_km += km * cap / 1000.0
        self.co2 += km * co2_per_km(v.type, load_kg / cap if cap else 0.0, self.wtw)

    def kpis(self, hours: float, vehicles: int) -> Kpis:
        return Kpis(
            km=self.km,
            vehicle_hours=hours,
            vehicles=vehicles,
            load_factor=self.t_km / self.cap_t_km if self.cap_t_km else 0.0,
            empty_share=self.empty_km / self.km if self.km else 0.0,
            co2_kg=self.co2,
        )


def _matrix(problem: Problem) -> tuple[Matrices, dict[object, int]]:
    invalid = {i.id for i in validate(problem) if i.subject == "request"}
    points, index = stop_points(problem, invalid)
    m = build(points, planar=problem.planar, circuity=problem.circuity,
              road_graph=problem.road_graph, scale=problem.scale,  # type: ignore[arg-type]
              round_arcs=problem.round_arcs)  # fmt: skip
    return m, index


def _request_of(problem: Problem) -> dict[StopId, tuple[Request, int]]:
    out: dict[StopId, tuple[Request, int]] = {}
    for r in problem.requests:
        out[r.id] = (r, 1)
        if r.paired:
            out[f"{r.id}:delivery"] = (r, -1)
    return out


def plan_kpis(problem: Problem, plan: object, well_to_wheel: bool = False) -> Kpis:
    """KPIs of a plan's routes (`plan.details`)."""
    m, index = _matrix(problem)
    fleet = {v.id: v for v in problem.vehicles}
    stops = _request_of(problem)
    legs = _Legs(well_to_wheel)
    hours = 0.0
    tscale = 3600.0
    for route in plan.details:  # type: ignore[attr-defined]
        v = fleet[route.vehicle]
        here, load = index[("depot", v.depot)], 0.0
        for sid in route.stops:
            node = index[sid]
            legs.add(v, float(m.dist[here, node]) * m.unit_km, load)
            r, sign = stops[sid]
            load += sign * float(r.kg)
            here = node
        legs.add(v, float(m.dist[here, index[("depot", v.end_depot or v.depot)]]) * m.unit_km, load)
        hours += (route.back - route.depart) / tscale
    return legs.kpis(hours, len(plan.details))  # type: ignore[attr-defined]


def _baseline_vehicle(problem: Problem, r: Request) -> Vehicle | None:
    able = [
        v
        for v in problem.vehicles
        if (v.hazmat or not r.hazardous)
        and float(v.kg_capacity) >= float(r.kg)
        and (v.m3_capacity is None or float(v.m3_capacity) >= float(r.m3))
        and v.depot
    ]
    return min(able, key=lambda v: float(v.kg_capacity), default=None)


def baseline_kpis(
    problem: Problem, served: set[StopId] | None = None, well_to_wheel: bool = False
) -> Kpis:
    """One direct trip per request (only `served` ones when given)."""
    m, index = _matrix(problem)
    legs = _Legs(well_to_wheel)
    seconds = 0.0
    trips = 0
    for r in problem.requests:
        if (served is not None and r.id not in served) or r.id not in index:
            continue
        v = _baseline_vehicle(problem, r)
        if v is None or ("depot", v.depot) not in index:
            continue
        trips += 1
        t = m.time(v.speed())
        depot, site = index[("depot", v.depot)], index[r.id]
        drop = index[f"{r.id}:delivery"] if r.paired else depot
        legs.add(v, float(m.dist[depot, site]) * m.unit_km, 0.0)
        legs.add(v, float(m.dist[site, drop]) * m.unit_km, float(r.kg))
        seconds += float(t[depot, site] + t[site, drop]) + r.service_s
        if drop != depot:
            legs.add(v, float(m.dist[drop, depot]) * m.unit_km, 0.0)
            seconds += float(t[drop, depot]) + r.destination.service_s
    return legs.kpis(seconds / 3600.0, trips)


def compare(problem: Problem, plan: object, well_to_wheel: bool = False) -> Comparison:
    """The plan against direct trips for the requests it serves."""
    served = {s for route in plan.details for s in route.stops}  # type: ignore[attr-defined]
    ours = plan_kpis(problem, plan, well_to_wheel)
    base = baseline_kpis(problem, served, well_to_wheel)

    def saving(a: float, b: float) -> float:
        return 1.0 - a / b if b else 0.0

    return Comparison(
        ours,
        base,
        saving(ours.km, base.km),
        saving(ours.co2_kg, base.co2_kg),
        saving(ours.vehicle_hours, base.vehicle_hours),
    )
