"""Lists for many buyers at once (`Recommender.recommend_lots_many`, the daily digest): the
cross-buyer exposure penalty spreads lots across buyers, never shows anything infeasible and,
switched off, is exactly one `recommend_lots` per buyer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import MatchingError, Recommender, is_feasible
from matching.evaluate import K, evaluate_recommender, ndcg_at_k
from matching.synthetic import Market
from tests.matching.conftest import small_market


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), penalty=st.sampled_from([0.1, 0.5, 5.0]))
def test_batch_lists_are_always_feasible(seed: int, penalty: float) -> None:
    market: Market = small_market(seed, n_buyers=40, n_weeks=3, n_test_lots=150)
    rec = Recommender(max_iter=30).fit(market.lots, market.buyers, market.exposures)
    table = rec.index_lots(market.test_lots)
    for k in (10, 1000):  # 1000: more than any feasible set, so every feasible lot is listed
        lists = rec.recommend_lots_many(market.buyers, table, k, coverage_penalty=penalty)
        assert len(lists) == len(market.buyers)
        for buyer, recs in zip(market.buyers, lists, strict=True):
            assert all(is_feasible(buyer, table.lots[table.pos[r.id]]) for r in recs)
            n_feasible = sum(is_feasible(buyer, lot) for lot in market.test_lots)
            assert len(recs) == min(k, n_feasible)
            assert len({r.id for r in recs}) == len(recs)


def test_penalty_off_equals_one_list_per_buyer(market: Market, fitted: Recommender) -> None:
    table = fitted.index_lots(market.test_lots)
    many = fitted.recommend_lots_many(market.buyers, table, 10, coverage_penalty=0.0)
    for buyer, recs in zip(market.buyers, many, strict=True):
        single = fitted.recommend_lots(buyer, table, 10)
        assert [(r.id, r.score, r.reasons) for r in recs] == [
            (r.id, r.score, r.reasons) for r in single
        ]


def _coverage_and_ndcg(market: Market, lists: list) -> tuple[float, float]:
    shown = {r.id for recs in lists for r in recs}
    ndcg = [
        ndcg_at_k([r.id for r in recs], market.relevance.get(b.id, {}))
        for b, recs in zip(market.buyers, lists, strict=True)
        if market.relevance.get(b.id)
    ]
    return len(shown) / len(market.test_lots), sum(ndcg) / len(ndcg)


def test_penalty_raises_coverage_for_a_little_ndcg(market: Market, fitted: Recommender) -> None:
    table = fitted.index_lots(market.test_lots)
    cov0, ndcg0 = _coverage_and_ndcg(
        market, fitted.recommend_lots_many(market.buyers, table, K, coverage_penalty=0.0)
    )
    assert fitted.coverage_penalty > 0  # the default is on
    cov1, ndcg1 = _coverage_and_ndcg(market, fitted.recommend_lots_many(market.buyers, table, K))
    assert cov1 >= cov0 + 0.02, (cov0, cov1)
    assert ndcg1 >= ndcg0 - 0.05, (ndcg0, ndcg1)
    assert ndcg1 < ndcg0 + 0.02  # a trade, not a free lunch: the penalty never picks better


def test_the_model_default_penalty_is_used(market: Market, fitted: Recommender) -> None:
    table = fitted.index_lots(market.test_lots)
    explicit = fitted.recommend_lots_many(market.buyers, table, K, coverage_penalty=0.5)
    old = fitted.coverage_penalty
    fitted.coverage_penalty = 0.5
    try:
        implicit = fitted.recommend_lots_many(market.buyers, table, K)
    finally:
        fitted.coverage_penalty = old
    assert [[r.id for r in x] for x in explicit] == [[r.id for r in x] for x in implicit]


def test_evaluate_batch_measures_the_digest_lists() -> None:
    market = small_market(5)
    single = evaluate_recommender(market, Recommender(max_iter=60, coverage_penalty=1.0),
                                  batch=False)  # fmt: skip
    batch = evaluate_recommender(market, Recommender(max_iter=60, coverage_penalty=1.0))
    assert batch.metrics["coverage@10"] > single.metrics["coverage@10"]
    assert batch.metrics["infeasible@10"] == 0.0


def test_bad_batch_input_names_the_field(market: Market, fitted: Recommender) -> None:
    table = fitted.index_lots(market.test_lots)
    for bad in (-0.1, float("nan"), "0.2"):
        with pytest.raises(MatchingError) as err:
            fitted.recommend_lots_many(market.buyers, table, K, coverage_penalty=bad)  # type: ignore[arg-type]
        assert err.value.field == "coverage_penalty"
    with pytest.raises(MatchingError) as err:
        fitted.recommend_lots_many(["b1"], table, K)  # type: ignore[list-item]
    assert err.value.field == "buyer"
    with pytest.raises(MatchingError) as err:
        fitted.recommend_lots_many(market.buyers, [], K)
    assert err.value.field == "candidate_lots"
    with pytest.raises(MatchingError) as err:
        fitted.recommend_lots_many(market.buyers, table, 0)
    assert err.value.field == "k"
