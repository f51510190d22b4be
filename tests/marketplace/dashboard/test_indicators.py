"""Every indicator against numbers worked out by hand from one small month of a cluster.

The fixture (March 2026, Asia/Shanghai days):

lots (producer unless noted)      declared   listed   sale ended  sold
  L1 org 10 PA                    10 t       03-02    03-05       yes  → T1 (weighed 9.8 t)
  L2 org 10 PL                     4 t       03-03    03-06       yes  → T2
  L3 org 11 FE                     6 t       03-10    03-12       no
  L4 station 30 PA (not producer)  5 t       03-15    03-18       yes  → T3

trades   declared weighed price/t  reserve  picked up    delivered    settled      end use
  T1     10 t     9.8 t   1500 元  1400 元  03-06 10:00  03-06 16:00  03-07 16:00  recycling
  T2      4 t     —       3000 元  —        —            03-09 08:00  03-10 20:00  disposal
  T3      5 t     5.2 t   1200 元  1000 元  03-20 00:00  03-20 12:00  —            —
  T1 buyer in the cluster, passport complete, factor "mixed paper" 219.73 kg/t, index 1600 元;
  T2 buyer outside, passport incomplete, disputed; T3 in the cluster, no factor for its grade.

station 30 weighings (groups): receive normal 8× 40 t (1 t deducted), receive anomaly 2× 9 t,
receive no standard 5× 1 t, sort 10× 30 t, bale 4× 27 t.
trips: P1 100 km (30 empty), load 0.6, 2 vehicles, 5 pickups (5 confirmed, 4 on time);
       P2  50 km (10 empty), load 0.9, 1 vehicle,  4 pickups (3 confirmed, 2 on time).
reports (March): org 10 value added 500 万元 and 0.2 t prior stock utilised; org 11 200 万元;
org 20 recycled input 15 t, virgin 35 t; station 30 capacity 100 t (and 56 t in February).
orgs: 10, 11, 12 (idle) producers; 20, 21 recyclers; 30 station; 40, 41 (idle) logistics.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from marketplace.dashboard import figures as fg
from marketplace.dashboard import indicators as ind
from marketplace.dashboard.records import (
    FactorRef,
    Factors,
    LotRec,
    OrgRec,
    OrgReport,
    Period,
    Records,
    TradeRec,
    TripRec,
    WeighingGroup,
)

TZ = ZoneInfo("Asia/Shanghai")
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
PAPER = "mixed paper (paper & board: mixed)"
PLASTIC = "mixed plastics (average plastics)"


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=TZ)


def ref(key: str, value: str, unit: str = "kg CO2e/t", laden: str = "") -> FactorRef:
    return FactorRef(key, D(value), unit, "DEFRA-2025", "UK DESNZ 2025", "", laden)


FACTORS = Factors(
    {PAPER: ref(PAPER, "219.73"), PLASTIC: ref(PLASTIC, "1597.11")},
    ref("freight:All HGVs:Average laden", "0.89121", "kg CO2e/km", "Average laden"),
    ref("freight:All HGVs:0% Laden", "0.65975", "kg CO2e/km", "0% Laden"),
)

LOTS = [
    LotRec(1, 10, "PA", 10_000_000, at(2, 10), at(5), True, weighed_g=9_800_000),
    LotRec(2, 10, "PL", 4_000_000, at(3, 8), at(6), True),
    LotRec(3, 11, "FE", 6_000_000, at(10), at(12), False),
    LotRec(4, 30, "PA", 5_000_000, at(15), at(18), True, producer=False),
]
TRADES = [
    TradeRec(
        1,
        1,
        10,
        20,
        "PA",
        10_000_000,
        150_000,
        at(5),
        "closed",
        9_800_000,
        PAPER,
        140_000,
        160_000,
        at(2, 10),
        at(6, 10),
        None,
        at(6, 16),
        at(7, 16),
        at(8),
        "recycling",
        passport_complete=True,
    ),
    TradeRec(
        2,
        2,
        10,
        21,
        "PL",
        4_000_000,
        300_000,
        at(6),
        "closed",
        None,
        PLASTIC,
        None,
        None,
        at(3, 8),
        None,
        None,
        at(9, 8),
        at(10, 20),
        at(11),
        "disposal",
        disputed=True,
        buyer_in_cluster=False,
        passport_complete=False,
    ),
    TradeRec(
        3,
        4,
        30,
        20,
        "PA",
        5_000_000,
        120_000,
        at(18),
        "delivered",
        5_200_000,
        None,
        100_000,
        None,
        at(15),
        at(20),
        None,
        at(20, 12),
        producer_seller=False,
    ),
]
WEIGHINGS = [
    WeighingGroup(30, "receive", "normal", "PA", 8, 40_000_000, 1_000_000, 10),
    WeighingGroup(30, "receive", "anomaly", "PA", 2, 9_000_000, 0, 11),
    WeighingGroup(30, "receive", "no_standard", "PL", 5, 1_000_000),
    WeighingGroup(30, "sort", "normal", "PA", 10, 30_000_000),
    WeighingGroup(30, "bale", "normal", "PA", 4, 27_000_000),
]
TRIPS = [
    TripRec(1, 40, date(2026, 3, 6), D(100), D(30), D("0.6"), 2, 5, 4, 5),
    TripRec(2, 40, date(2026, 3, 20), D(50), D(10), D("0.9"), 1, 4, 2, 3),
]
REPORTS = [
    OrgReport(10, date(2026, 3, 1), value_added_fen=500_000_000, prior_stock_utilised_g=200_000),
    OrgReport(11, date(2026, 3, 1), value_added_fen=200_000_000),
    OrgReport(20, date(2026, 3, 1), virgin_input_g=35_000_000, recycled_input_g=15_000_000),
    OrgReport(30, date(2026, 3, 1), capacity_g=100_000_000),
    OrgReport(30, date(2026, 2, 1), capacity_g=56_000_000),
]
ORGS = [
    OrgRec(10, "producer", True),
    OrgRec(11, "producer", True),
    OrgRec(12, "producer", False),
    OrgRec(20, "recycler", True),
    OrgRec(21, "recycler", True),
    OrgRec(30, "station", True),
    OrgRec(40, "logistics", True),
    OrgRec(41, "logistics", False),
]
RECORDS = Records(MARCH, LOTS, TRADES, WEIGHINGS, TRIPS, REPORTS, ORGS, FACTORS)
EMPTY = Records(MARCH)

# key → (value, numerator, denominator), all worked out in the comments
EXPECTED = {
    # generated = L1 9.8 (weighed via T1) + L2 4 (declared) + L3 6 + received 50 = 69.8 t;
    # + 0.2 t prior stock = 70 t; utilised = T1 9.8 + T3 5.2 (T2 went to disposal) = 15 t
    "utilisation_rate": (D("21.43"), D(15), D(70)),
    # 69.8 t ÷ (500 + 200) 万元 = 0.09971…
    "generation_intensity": (D("0.0997"), D("69.8"), D("700.00")),
    # 15 ÷ (15 + 35)
    "substitution_rate": (D("30.00"), D(15), D(50)),
    # T1 9.8 + T3 5.2 (weighed nets)
    "recycled_volume": (D("15.000"), None, None),
    # 9.8 t × 219.73 = 2153.354 kg (T3 has no factor: left out, and the figure says so)
    "co2e_avoided_gross": (D("2.153"), None, None),
    # laden 110 km × 0.89121 + empty 40 km × 0.65975 = 98.0331 + 26.39 = 124.4231 kg
    "logistics_co2e": (D("0.124"), None, None),
    # 2.153 − 0.124
    "co2e_avoided_net": (D("2.029"), D("2.153"), D("0.124")),
    # 40 ÷ 150 km
    "empty_running_rate": (D("26.67"), D("40.0"), D("150.0")),
    # (0.6 × 100 + 0.9 × 50) ÷ 150 = 0.70
    "load_factor": (D("70.00"), None, None),
    # 9 pickups ÷ 3 vehicles
    "consolidation_ratio": (D("3.00"), D(9), D(3)),
    # T1 96 h (stop), T2 144 h (delivery), T3 120 h: median 120
    "pickup_lead_time": (D("120.0"), None, None),
    # 6 on time ÷ 8 confirmed
    "on_time_pickup_rate": (D("75.00"), D(6), D(8)),
    # L1, L2, L4 sold of 4 ended
    "clearance_rate": (D("75.00"), D(3), D(4)),
    # (1500 × 10 + 1200 × 5) ÷ (1400 × 10 + 1000 × 5) = 21000 ÷ 19000 = 110.526…
    "price_realisation": (D("110.53"), None, None),
    # value T1 14700 元 + T3 6240 元 inside ÷ (+ T2 12000 元) = 20940 ÷ 32940
    "closed_loop_share": (D("63.57"), D("20940"), D("32940")),
    # 2 anomalies ÷ (8 + 2 + 10 + 4) checked (no-standard weighings not counted)
    "weighing_anomaly_rate": (D("8.33"), D(2), D(24)),
    # 1 t deducted ÷ (50 + 1) t
    "downgrade_rate": (D("1.96"), D(1), D(51)),
    # 27 ÷ 30
    "bale_yield": (D("90.00"), D(27), D(30)),
    # 50 t received ÷ 100 t March capacity (February overlaps 0 days)
    "station_utilisation": (D("50.00"), D(50), D("100.000")),
    # delivered 19 t, 15 t not to disposal
    "landfill_diversion_rate": (D("78.95"), D(15), D(19)),
    # T1 complete, T2 not, of the two closed in March
    "traceability_completeness": (D("50.00"), D(1), D(2)),
    # T1 24 h, T2 36 h: median 30
    "escrow_settlement": (D("30.0"), None, None),
    # 6 of 8 members active
    "participation": (D("75.00"), D(6), D(8)),
}


def test_there_are_23_indicators_with_labels() -> None:
    assert len(ind.KEYS) == 23 == len(set(ind.KEYS)) == len(ind.LABELS)
    assert list(ind.FORMULAS) == list(ind.KEYS)


@pytest.mark.parametrize("key", ind.KEYS)
def test_indicator_matches_the_hand_computed_value(key: str) -> None:
    fig = ind.FORMULAS[key](RECORDS)
    value, num, den = EXPECTED[key]
    assert fig.no_data is None
    assert fig.value == value
    if num is not None:
        assert fig.numerator == num
        assert fig.denominator == den


def test_weights_say_whether_they_were_weighed() -> None:
    assert ind.utilisation_rate(RECORDS).basis == fg.MIXED  # T2 never weighed
    assert ind.recycled_volume(RECORDS).basis == fg.WEIGHED
    only_t2 = Records(MARCH, trades=[TRADES[1]])
    assert ind.landfill_diversion_rate(only_t2).basis == fg.DECLARED


def test_co2_figures_carry_their_factor_and_the_missing_ones() -> None:
    gross = ind.co2e_avoided_gross(RECORDS)
    assert gross.factor is not None
    assert gross.factor.key == PAPER
    assert gross.factor.version == "DEFRA-2025"
    assert gross.extra["missing_factor"] == ["PA"]
    assert fg.SOME_NO_FACTOR in gross.notes
    logi = ind.logistics_co2e(RECORDS)
    assert [f.laden for f in logi.factors] == ["Average laden", "0% Laden"]
    assert logi.extra == {"laden_km": D("110.0"), "empty_km": D("40.0")}


def test_extras() -> None:
    assert ind.recycled_volume(RECORDS).extra["by_family"] == {"PA": D("15.000")}
    assert ind.pickup_lead_time(RECORDS).extra == {"p90_h": D("144.0"), "count": 3}
    # T1 only has an index price: 1500 ÷ 1600
    assert ind.price_realisation(RECORDS).extra == {"against_index_pct": D("93.75")}
    # 1 of 3 delivered trades disputed
    assert ind.escrow_settlement(RECORDS).extra["dispute_rate_pct"] == D("33.33")


@pytest.mark.parametrize("key", ind.KEYS)
def test_no_records_means_no_data_not_zero(key: str) -> None:
    fig = ind.FORMULAS[key](EMPTY)
    assert fig.value is None
    assert fig.no_data


def test_missing_factor_table_says_so_instead_of_guessing() -> None:
    bare = Records(MARCH, LOTS, TRADES, WEIGHINGS, TRIPS, REPORTS, ORGS, Factors())
    assert ind.co2e_avoided_gross(bare).no_data == fg.NO_FACTOR
    assert ind.logistics_co2e(bare).no_data == fg.NO_TRANSPORT_FACTOR
    assert ind.co2e_avoided_net(bare).no_data == fg.NO_FACTOR


def test_net_without_routes_is_the_gross_and_says_so() -> None:
    no_trips = Records(MARCH, LOTS, TRADES, WEIGHINGS, [], REPORTS, ORGS, FACTORS)
    net = ind.co2e_avoided_net(no_trips)
    assert net.value == D("2.153")
    assert fg.NO_TRIPS in net.notes


def test_records_outside_the_period_do_not_count() -> None:
    april = Records(Period(date(2026, 4, 1), date(2026, 4, 30)), LOTS, TRADES, WEIGHINGS)
    assert ind.recycled_volume(april).no_data == fg.NO_TRADES
    assert ind.clearance_rate(april).no_data == fg.NO_SALES


def test_station_capacity_is_pro_rata_to_the_days() -> None:
    half = Period(date(2026, 3, 1), date(2026, 3, 15))  # 15/31 of 100 t = 48.387 t
    recs = Records(half, weighings=WEIGHINGS, reports=REPORTS)
    fig = ind.FORMULAS["station_utilisation"](recs)
    assert fig.denominator == D("48.387")
    assert fig.value == D("103.33")


def test_change_pct() -> None:
    assert ind.change_pct(D(110), D(100)) == D("10.0")
    assert ind.change_pct(D(90), D(-100)) == D("190.0")
    assert ind.change_pct(D(1), D(0)) is None
    assert ind.change_pct(None, D(1)) is None


def test_reported_denominators_without_records_are_no_data_not_zero() -> None:
    only_reports = Records(MARCH, reports=REPORTS)
    assert ind.generation_intensity(only_reports).no_data == fg.NOTHING
    assert ind.FORMULAS["station_utilisation"](only_reports).no_data == fg.NO_WEIGHINGS


def test_spread_is_the_median_and_the_90th_percentile() -> None:
    """As `statistics.median` and PostgreSQL's percentile_disc(0.9) (read off it for 1..40:
    10 values → 9, 20 → 18, 30 → 27, 31 → 28)."""
    import statistics

    from marketplace.dashboard.market import spread

    assert spread([]).n == 0
    for n, p90 in ((1, 1), (2, 2), (10, 9), (11, 10), (20, 18), (30, 27), (31, 28), (40, 36)):
        values = list(range(n, 0, -1))  # unsorted on purpose
        s = spread(values)
        assert (s.n, s.p90_s) == (n, p90)
        assert s.median_s == statistics.median(D(v) for v in values)
