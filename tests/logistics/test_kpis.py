"""KPIs against hand-computed figures (planar coordinates read as km)."""

from __future__ import annotations

import pytest

from logistics import plan
from logistics.kpis import baseline_kpis, co2_per_km, compare, plan_kpis
from tests.logistics.helpers import feasible, planar, stop, truck

# DEFRA 2025, HGV rigid >3.5–7.5 t, kg CO2e per vehicle-km: 0 % 0.46138, 50 % 0.50103
EMPTY, HALF = 0.46138, 0.50103


def test_co2_factor_interpolates_by_laden_state() -> None:
    assert co2_per_km("rigid_7.5t", 0.0) == pytest.approx(EMPTY)
    assert co2_per_km("rigid_7.5t", 0.5) == pytest.approx(HALF)
    assert co2_per_km("rigid_7.5t", 1.0) == pytest.approx(0.54068)
    assert co2_per_km("rigid_7.5t", 0.2) == pytest.approx(EMPTY + 0.4 * (HALF - EMPTY))
    assert co2_per_km("rigid_7.5t", 0.0, well_to_wheel=True) == pytest.approx(EMPTY + 0.11027)
    assert co2_per_km("van", 0.7) == pytest.approx(0.25561)


def test_two_pickups_in_one_trip_against_two_direct_trips() -> None:
    # depot (0,0); A 3 km north, B 4 km north; 1 t each on a 5 t rigid
    p = planar([stop("A", 3, 0, kg=1000), stop("B", 4, 0, kg=1000)],
               [truck("T", kg=5000, type="rigid_7.5t", shift_end_s=10**6)])  # fmt: skip
    result = feasible(p, plan(p, time_limit_s=1))
    assert result.routes == [["A", "B"]]
    ours = plan_kpis(p, result)
    # legs: 3 km empty, 1 km with 1 t (20 %), 4 km with 2 t (40 %)
    f20 = EMPTY + 0.4 * (HALF - EMPTY)
    f40 = EMPTY + 0.8 * (HALF - EMPTY)
    assert ours.km == pytest.approx(8.0)
    assert ours.co2_kg == pytest.approx(3 * EMPTY + 1 * f20 + 4 * f40)
    assert ours.empty_share == pytest.approx(3 / 8)
    assert ours.load_factor == pytest.approx((1 * 1 + 4 * 2) / (8 * 5))
    assert ours.vehicles == 1
    base = baseline_kpis(p)
    # 0→A→0 and 0→B→0: 3 + 4 km empty out, 3 + 4 km back with 1 t
    assert base.km == pytest.approx(14.0)
    assert base.co2_kg == pytest.approx(7 * EMPTY + 7 * f20)
    assert base.empty_share == pytest.approx(0.5)
    assert base.vehicles == 2
    cmp = compare(p, result)
    assert cmp.km_saving == pytest.approx(1 - 8 / 14)
    assert cmp.co2_saving == pytest.approx(1 - ours.co2_kg / base.co2_kg)
