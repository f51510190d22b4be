"""A synthetic but realistic pickup day in the Dongguan cluster, for the benchmark and tests.

Sites are scattered around the real centres of 长安、虎门、厚街、大岭山、松山湖; opening hours
08:00–12:00 and 13:30–17:30 (service start, seconds from midnight); loads of 0.1–1.2 t; a few
hazardous lots (HW codes) and lots delivered straight to a buyer's plant. Deterministic by seed.
"""

from __future__ import annotations

import numpy as np

from logistics.model import Depot, Destination, Problem, Request, Vehicle

TOWNS = {
    "长安": (22.803, 113.805),
    "虎门": (22.815, 113.672),
    "厚街": (22.940, 113.673),
    "大岭山": (22.900, 113.780),
    "松山湖": (22.915, 113.890),
}
HOUR = 3600
OPENING = ((8 * HOUR, 12 * HOUR), (13 * HOUR + 1800, 17 * HOUR + 1800))
PLANTS = {"plant-厚街纸业": (22.955, 113.655), "plant-长安金属": (22.790, 113.830)}


def fleet(n_vehicles: int, depots: tuple[str, ...] = ("depot-大岭山",)) -> tuple[Vehicle, ...]:
    """A mixed fleet: 7.5 t rigids (every third with a hazmat permit), 17 t rigids and vans."""
    kinds = [
        ("rigid_7.5t", 5000, 30, 350, 6000, 45000),
        ("rigid_17t", 10000, 45, 500, 7000, 60000),
        ("van", 1500, 10, 200, 4500, 30000),
    ]
    out = []
    for k in range(n_vehicles):
        typ, kg, m3, per_km, per_h, per_day = kinds[k % len(kinds)]
        out.append(
            Vehicle(
                id=f"V{k + 1:02d}", type=typ, kg_capacity=kg, m3_capacity=m3,
                depot=depots[k % len(depots)], hazmat=typ == "rigid_7.5t" and k % 2 == 0,
                shift_start_s=7 * HOUR, shift_end_s=19 * HOUR, max_shift_s=10 * HOUR,
                cost_per_km_fen=per_km, cost_per_hour_fen=per_h, cost_per_day_fen=per_day,
            )
        )  # fmt: skip
    return tuple(out)


def dongguan_day(
    n_requests: int = 200, n_vehicles: int = 36, seed: int = 7, pairs: bool = True
) -> Problem:
    """`n_requests` pickups around the five towns, two depots, the station at 厚街."""
    rng = np.random.default_rng(seed)
    towns = list(TOWNS.values())
    station = Destination("station", "station-厚街", 22.930, 113.700, service_s=900)
    requests = []
    for i in range(n_requests):
        lat0, lon0 = towns[int(rng.integers(len(towns)))]
        lat = lat0 + float(rng.normal(0, 0.018))
        lon = lon0 + float(rng.normal(0, 0.018))
        kg = float(np.round(rng.uniform(100, 1200), 1))
        hazardous = rng.random() < 0.06
        u = rng.random()
        if pairs and u < 0.1:
            name, (plat, plon) = list(PLANTS.items())[int(rng.integers(len(PLANTS)))]
            dest = Destination("plant", name, plat, plon, windows=OPENING, service_s=900)
        elif u < 0.35:
            dest = station
        else:
            dest = Destination()
        requests.append(
            Request(
                id=f"P{i + 1:03d}", lat=lat, lon=lon, kg=kg, m3=round(kg / 250.0, 2),
                windows=OPENING if rng.random() < 0.8 else ((9 * HOUR, 11 * HOUR),),
                service_s=600, hazardous=bool(hazardous),
                hw_codes=("HW08",) if hazardous else (), destination=dest, site=f"工厂{i + 1}",
            )
        )  # fmt: skip
    depots = (
        Depot("depot-大岭山", 22.905, 113.770, "大岭山车场"),
        Depot("depot-长安", 22.810, 113.790, "长安车场"),
    )
    vehicles = fleet(n_vehicles, tuple(d.id for d in depots))
    return Problem(tuple(requests), vehicles, depots, name=f"dongguan-{n_requests}")
