"""Honest measurement: the metrics are right, the oracle scores 1, and on markets the model
never saw it beats the baselines by a margin and calibration helps."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from matching import Recommender
from matching.evaluate import Report, calibration, evaluate, gini, ndcg_at_k
from tests.matching.conftest import SMALL, small_market


def test_ndcg_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        grades = rng.integers(0, 4, n)
        if grades.sum() == 0:
            grades[0] = 1
        scores = rng.permutation(n).astype(float)  # distinct: no tie averaging
        ids = [f"l{i}" for i in range(n)]
        ranked = [ids[i] for i in np.argsort(-scores)]
        rel = dict(zip(ids, grades.tolist(), strict=True))
        ours = ndcg_at_k(ranked, rel, 10)
        theirs = ndcg_score(grades[None, :], scores[None, :], k=10)
        assert ours == pytest.approx(theirs, abs=1e-12)


def test_gini_and_calibration_measures() -> None:
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)
    p = np.array([0.1] * 50 + [0.9] * 50)
    y = np.array([0] * 45 + [1] * 5 + [1] * 45 + [0] * 5, dtype=float)
    ece, brier = calibration(p, y)
    assert ece == pytest.approx(0.0)
    assert brier == pytest.approx(0.09)
    ece_bad, _ = calibration(np.full(100, 0.5), y)
    assert ece_bad == pytest.approx(0.0)  # 0.5 everywhere is calibrated for a 50 % base rate
    ece_off, _ = calibration(np.full(100, 0.8), y)
    assert ece_off == pytest.approx(0.3)


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate((101, 202, 303), methods={"recommender": Recommender}, **SMALL)


def test_oracle_scores_one_and_nothing_is_infeasible(report: Report) -> None:
    assert report.mean("oracle", "ndcg@10") == pytest.approx(1.0)
    assert report.mean("oracle", "cold_ndcg@10") == pytest.approx(1.0)
    for method in report.results:
        assert report.mean(method, "infeasible@10") == 0.0, method


def test_model_beats_random_and_nearest_on_unseen_markets(report: Report) -> None:
    ours = report.mean("recommender", "ndcg@10")
    assert ours >= report.mean("nearest", "ndcg@10") + 0.1
    assert ours >= report.mean("random", "ndcg@10") + 0.2
    assert ours >= report.mean("popularity", "ndcg@10") + 0.1
    # and on every seed, not only on average
    per_seed = [r.metrics["ndcg@10"] for r in report.results["recommender"]]
    nearest = [r.metrics["ndcg@10"] for r in report.results["nearest"]]
    assert all(a > b for a, b in zip(per_seed, nearest, strict=True))
    assert report.mean("recommender", "cold_ndcg@10") > report.mean("random", "cold_ndcg@10")


def test_calibration_improves_brier_and_ece() -> None:
    """The same fitted boosting model, with and without its calibration map, on unseen test
    bids (IPW-weighted boosting is the part whose raw probabilities drift; the default blend
    averages it with the linear model, which is closer to calibrated already)."""
    raw_b, cal_b, raw_e, cal_e = [], [], [], []
    for seed in (101, 202, 303):
        market = small_market(seed)
        rec = Recommender(model="hgb").fit(market.lots, market.buyers, market.exposures)
        by_id = {b.id: b for b in market.buyers}
        lots = {lot.id: lot for lot in market.test_lots}
        pairs = [(by_id[b], lots[lid]) for b, lid, _, _ in market.test_bids]
        y = np.array([d for *_, d in market.test_bids], dtype=float)
        for calibrated, briers, eces in ((False, raw_b, raw_e), (True, cal_b, cal_e)):
            ece, brier = calibration(rec.predict_bid_proba(pairs, calibrated=calibrated), y)
            briers.append(brier)
            eces.append(ece)
    assert np.mean(cal_b) < np.mean(raw_b)
    assert np.mean(cal_e) <= np.mean(raw_e) - 0.005
    assert np.mean(cal_e) <= 0.05


def test_report_table_has_mean_and_sd(report: Report) -> None:
    text = report.table()
    assert "recommender" in text
    assert "±" in text
