"""The hard filter: the vectorised paths agree with the plain rules, and nothing infeasible is
ever recommended, in either direction, over random markets (property-tested)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Buyer, BuyerTable, Lot, LotTable, feasible_lots, is_feasible
from matching.feasibility import BALLTREE_MIN_LOTS, haversine_km
from matching.synthetic import Market
from tests.matching.conftest import small_market

CATS = ["废纸箱", "PET瓶片", "废钢", "废电路板"]
HW = ["HW08", "HW17", "HW49"]


def random_lots(rng: np.random.Generator, n: int) -> list[Lot]:
    return [
        Lot(
            id=f"L{i}",
            category=str(rng.choice(CATS)),
            process="打包",
            lat=float(23 + rng.normal(0, 0.3)),
            lon=float(113.7 + rng.normal(0, 0.3)),
            quantity_t=float(rng.choice([1, 5, 10, 20, 50])),
            contamination_pct=float(rng.choice([0, 2, 5, 10])),
            moisture_pct=5.0,
            dql=int(rng.integers(0, 5)),
            ask_ratio=1.0,
            hw_codes=tuple(rng.choice(HW, size=rng.integers(0, 3), replace=False)),
            listed_at=datetime(2026, 1, 1, tzinfo=UTC),
            text="废纸箱 打包",
        )
        for i in range(n)
    ]


def random_buyer(rng: np.random.Generator, i: int) -> Buyer:
    return Buyer(
        id=f"B{i}",
        lat=float(23 + rng.normal(0, 0.3)),
        lon=float(113.7 + rng.normal(0, 0.3)),
        permitted_categories=frozenset(rng.choice(CATS, size=rng.integers(1, 4), replace=False)),
        permitted_hw_codes=frozenset(rng.choice(HW, size=rng.integers(0, 4), replace=False)),
        radius_km=float(rng.choice([5, 20, 50])),
        capacity_t=float(rng.choice([5, 10, 20])),
        max_contamination_pct=float(rng.choice([2, 5, 10])),
        min_dql=int(rng.integers(0, 4)),
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([40, BALLTREE_MIN_LOTS + 10]))
def test_vectorised_filter_equals_the_plain_rules(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    lots = random_lots(rng, n)
    table = LotTable(lots)
    buyers = [random_buyer(rng, i) for i in range(8)]
    for b in buyers:
        idx, dist = feasible_lots(b, table)
        assert sorted(idx.tolist()) == [j for j, lot in enumerate(lots) if is_feasible(b, lot)]
        assert np.allclose(dist, haversine_km(b.lat, b.lon, table.lat[idx], table.lon[idx]))
    btable = BuyerTable(buyers)
    for lot in lots[:30]:
        idx, _ = btable.feasible_for(lot)
        assert sorted(idx.tolist()) == [j for j, b in enumerate(buyers) if is_feasible(b, lot)]


def test_each_rule_on_its_own() -> None:
    base = Lot("x", "废纸箱", "打包", 23.0, 113.7, 10, 3, 5, 2, 1.0, ("HW49",))
    buyer = Buyer("b", 23.0, 113.8, {"废纸箱"}, {"HW49"}, 20, 10, 3, 2)
    assert is_feasible(buyer, base)  # about 10 km away
    import dataclasses

    for change in (
        {"category": "废钢"},
        {"hw_codes": ("HW49", "HW08")},
        {"lon": 114.0},
        {"quantity_t": 10.5},
        {"contamination_pct": 3.1},
        {"dql": 1},
    ):
        lot = dataclasses.replace(base, **change)
        assert not is_feasible(buyer, lot), change
        assert len(feasible_lots(buyer, LotTable([lot]))[0]) == 0, change
        assert len(BuyerTable([buyer]).feasible_for(lot)[0]) == 0, change


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_nothing_infeasible_is_ever_recommended(seed: int) -> None:
    from matching import Recommender

    market: Market = small_market(seed, n_buyers=40, n_weeks=3, n_test_lots=150)
    rec = Recommender(max_iter=30).fit(market.lots, market.buyers, market.exposures)
    table = rec.index_lots(market.test_lots)
    for buyer in market.buyers:  # exhaustive: every buyer, k larger than any feasible set
        recs = rec.recommend_lots(buyer, table, k=1000)
        assert all(is_feasible(buyer, table.lots[table.pos[r.id]]) for r in recs)
        assert len(recs) == sum(is_feasible(buyer, lot) for lot in market.test_lots)
    buyers = {b.id: b for b in market.buyers}
    for lot in market.test_lots[::3]:
        recs = rec.recommend_buyers(lot, market.buyers, k=1000)
        assert all(is_feasible(buyers[r.id], lot) for r in recs)
        assert len(recs) == sum(is_feasible(b, lot) for b in market.buyers)
