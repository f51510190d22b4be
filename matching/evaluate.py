"""Offline evaluation on synthetic markets with hidden ground truth (mean ± sd over seeds).

For every method the same test window is ranked for every buyer: the recommender (the
default blend), its boosting alone, its logistic-regression baseline, a plain
HistGradientBoosting (no IPW, no calibration, no re-rank), random-after-filter,
nearest-first, category popularity, and the oracle (ranks by the hidden utility; it must
score NDCG 1.0). Measures:

- `ndcg@10`: graded gains (linear, as `sklearn.metrics.ndcg_score`), warm buyers with at
  least `MIN_FEASIBLE` feasible test lots; `cold_ndcg@10` the same for cold-start buyers;
- `infeasible@10`: share of recommended items that break the hard filter (lots for buyers
  and, for the learned methods, buyers for lots);
- `coverage@10`: share of test lots in at least one buyer's top 10;
- `gini`: Gini of top-10 appearances across the sellers of the test lots;
- `ece`, `brier`: calibration of P(bid) on feasible test pairs against simulated bids.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.feasibility import LotTable, feasible_lots, is_feasible
from matching.model import Recommender
from matching.synthetic import Market, make_market

K = 10
MIN_FEASIBLE = 15
METRICS = ("ndcg@10", "cold_ndcg@10", "infeasible@10", "coverage@10", "gini", "ece", "brier")
Ranker = Callable[[str], list[str]]  # buyer id → ranked lot ids


def dcg(gains: Sequence[float], k: int = K) -> float:
    """Discounted cumulative gain with linear gains and log2(rank + 1) discounts."""
    g = np.asarray(gains[:k], dtype=float)
    return float((g / np.log2(np.arange(2, len(g) + 2))).sum())


def ndcg_at_k(ranked: Sequence[str], relevance: dict[str, int], k: int = K) -> float:
    """NDCG@k of a ranked id list against graded relevance (missing ids count 0)."""
    ideal = dcg(sorted(relevance.values(), reverse=True), k)
    if ideal <= 0:
        return 0.0
    return dcg([relevance.get(i, 0) for i in ranked], k) / ideal


def gini(counts: Iterable[float]) -> float:
    """Gini coefficient of non-negative counts (0 = equal, → 1 = all on one)."""
    x = np.sort(np.asarray(list(counts), dtype=float))
    if not len(x) or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def calibration(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, float]:
    """(ECE with equal-width bins, Brier score) of probabilities `p` for outcomes `y`."""
    if not len(p):
        return float("nan"), float("nan")
    b = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for i in range(bins):
        m = b == i
        if m.any():
            ece += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(ece), float(np.mean((p - y) ** 2))


@dataclass
class SeedResult:
    """One method on one market."""

    metrics: dict[str, float]
    fit_s: float = 0.0


@dataclass
class Report:
    """Per method, per metric: the values over seeds; `table()` prints mean ± sd."""

    seeds: list[int]
    results: dict[str, list[SeedResult]] = field(default_factory=dict)

    def mean(self, method: str, metric: str) -> float:
        """Mean of one metric over seeds (NaN where the method has none)."""
        v = [r.metrics.get(metric, np.nan) for r in self.results[method]]
        return float(np.nanmean(v)) if not np.all(np.isnan(v)) else float("nan")

    def sd(self, method: str, metric: str) -> float:
        """Standard deviation over seeds."""
        v = [r.metrics.get(metric, np.nan) for r in self.results[method]]
        return float(np.nanstd(v)) if not np.all(np.isnan(v)) else float("nan")

    def table(self) -> str:
        """A plain-text table, one row per method."""
        head = f"{'method':<14}" + "".join(f"{m:>17}" for m in METRICS)
        rows = [head]
        for method in self.results:
            cells = []
            for m in METRICS:
                mu, sd = self.mean(method, m), self.sd(method, m)
                cells.append(f"{'—':>17}" if np.isnan(mu) else f"{mu:>9.3f} ± {sd:<5.3f}")
            rows.append(f"{method:<14}" + "".join(cells))
        return "\n".join(rows)


def _eval_ranker(market: Market, rank: Ranker) -> dict[str, float]:
    lots = {lot.id: lot for lot in market.test_lots}
    warm, cold, shown = [], [], Counter()
    infeasible = total = 0
    for buyer in market.buyers:
        ranked = rank(buyer.id)[:K]
        total += len(ranked)
        infeasible += sum(not is_feasible(buyer, lots[i]) for i in ranked)
        shown.update(ranked)
        rel = market.relevance.get(buyer.id, {})
        if len(rel) >= MIN_FEASIBLE:
            (cold if buyer.id in market.cold_buyers else warm).append(ndcg_at_k(ranked, rel))
    sellers = Counter({lot.seller: 0 for lot in market.test_lots})
    for lid, c in shown.items():
        sellers[lots[lid].seller] += c
    return {
        "ndcg@10": float(np.mean(warm)) if warm else float("nan"),
        "cold_ndcg@10": float(np.mean(cold)) if cold else float("nan"),
        "infeasible@10": infeasible / max(total, 1),
        "coverage@10": len(shown) / len(market.test_lots),
        "gini": gini(sellers.values()),
    }


def _feasible_index(market: Market) -> tuple[LotTable, dict[str, tuple[np.ndarray, np.ndarray]]]:
    table = LotTable(market.test_lots)
    return table, {b.id: feasible_lots(b, table) for b in market.buyers}


def baseline_rankers(market: Market, seed: int) -> dict[str, Ranker]:
    """random-after-filter, nearest-first, category popularity and the oracle."""
    table, feas = _feasible_index(market)
    rng = np.random.default_rng(seed + 7919)
    lot_cat = {lot.id: lot.category for lot in market.lots}
    pop = Counter(lot_cat[e.lot_id] for e in market.exposures if e.bid)

    def random_(bid: str) -> list[str]:
        idx, _ = feas[bid]
        return [table.ids[i] for i in rng.permutation(idx)[:K]]

    def nearest(bid: str) -> list[str]:
        idx, d = feas[bid]
        return [table.ids[i] for i in idx[np.argsort(d, kind="stable")][:K]]

    def popularity(bid: str) -> list[str]:
        idx, d = feas[bid]
        key = np.array([-pop.get(table.category[i], 0) for i in idx], dtype=float)
        return [table.ids[i] for i in idx[np.lexsort((d, key))][:K]]

    def oracle(bid: str) -> list[str]:
        u = market.utility.get(bid, {})
        return sorted(u, key=lambda i: -u[i])[:K]

    return {"random": random_, "nearest": nearest, "popularity": popularity, "oracle": oracle}


def evaluate_recommender(market: Market, rec: Recommender, *, batch: bool = True) -> SeedResult:
    """Fit `rec` on the market's visible inputs and measure it on the test window.

    `batch` (the platform's daily digest) makes every buyer's list in one
    `recommend_lots_many` call, so the model's `coverage_penalty` spreads exposure across
    buyers; `batch=False` ranks each buyer alone with `recommend_lots`."""
    buyers_by = {b.id: b for b in market.buyers}
    test_lots = {lot.id: lot for lot in market.test_lots}
    t0 = time.perf_counter()
    rec.fit(market.lots, market.buyers, market.exposures)
    fit_s = time.perf_counter() - t0
    table = rec.index_lots(market.test_lots)
    if batch:
        lists = rec.recommend_lots_many(market.buyers, table, K)
        ranked = {b.id: [r.id for r in rl] for b, rl in zip(market.buyers, lists, strict=True)}
        metrics = _eval_ranker(market, ranked.__getitem__)
    else:
        metrics = _eval_ranker(
            market, lambda b: [r.id for r in rec.recommend_lots(buyers_by[b], table)]
        )
    # the other direction: buyers recommended for every 5th test lot must be feasible too
    bad = total = 0
    buyers = rec.index_buyers(market.buyers)
    for lot in market.test_lots[::5]:
        recs = rec.recommend_buyers(lot, buyers, K)
        total += len(recs)
        bad += sum(not is_feasible(buyers.buyers[buyers.pos[r.id]], lot) for r in recs)
    metrics["infeasible@10"] = max(metrics["infeasible@10"], bad / max(total, 1))
    pairs = [(buyers_by[b], test_lots[lid]) for b, lid, _, _ in market.test_bids]
    y = np.array([d for *_, d in market.test_bids], dtype=float)
    p = rec.predict_bid_proba(pairs)
    metrics["ece"], metrics["brier"] = calibration(p, y)
    return SeedResult(metrics, fit_s)


def default_methods() -> dict[str, Callable[[], Recommender]]:
    """The learned methods compared: ours, the LR baseline and a plain HGB."""
    return {
        "recommender": Recommender,
        "hgb": lambda: Recommender(model="hgb"),
        "logistic": lambda: Recommender(model="logistic"),
        "hgb-plain": lambda: Recommender(
            model="hgb", ipw=False, calibrate=False, rerank=False, coverage_penalty=0.0
        ),
    }


def evaluate(
    seeds: Sequence[int] = (0, 1, 2),
    *,
    methods: dict[str, Callable[[], Recommender]] | None = None,
    baselines: bool = True,
    batch: bool = True,
    **market_kwargs: object,
) -> Report:
    """Generate one market per seed, evaluate every method on it, and collect the results.

    `batch`: the learned methods make all buyers' lists at once (`recommend_lots_many`, as
    the daily digest does) rather than one buyer at a time."""
    if len(seeds) < 1:
        raise ValueError("at least one seed")
    methods = default_methods() if methods is None else methods
    report = Report(list(seeds))
    for seed in seeds:
        market = make_market(seed, **market_kwargs)  # type: ignore[arg-type]
        for name, make in methods.items():
            report.results.setdefault(name, []).append(
                evaluate_recommender(market, make(), batch=batch)
            )
        if baselines:
            for name, rank in baseline_rankers(market, seed).items():
                report.results.setdefault(name, []).append(SeedResult(_eval_ranker(market, rank)))
    return report
