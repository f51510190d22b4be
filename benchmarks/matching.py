"""The recommender benchmark (issue 10). Sections, run in order:

- `quality`: `matching.evaluate` over `--seeds` synthetic markets (biased logging policy), the
  table of mean ± sd for the recommender (default blend), its boosting alone, its
  logistic-regression baseline, a plain
  HistGradientBoosting, random-after-filter, nearest-first, category popularity and the
  oracle; then the recommender and the baselines again on markets logged by a uniform random
  policy. The learned methods' lists are made for all buyers at once (`recommend_lots_many`,
  as the daily digest does), so their coverage penalty applies. Goals: NDCG@10 ≥ 0.70
  (uniform ≥ 0.62), infeasible@10 = 0, coverage ≥ 0.9 × the
  oracle's, Gini ≤ the oracle's + 0.05, cold-start NDCG@10 ≥ 0.50, ECE ≤ 0.05.
- `latency`: p50/p95 of top-10 lots for a buyer among 100,000 open lots (indexed once), of
  top-10 lots among 600 candidate lots passed as a list, and of top-10 buyers for a lot among
  5,000 recyclers (indexed once). Goals: p95 ≤ 50, 25 and 20 ms.
- `train`: fit time on a market of about `--train-exposures` (1,000,000) exposures. Goal ≤ 120 s.

The last line is the mean NDCG@10 of the recommender and its ratio to nearest-first's.

    .venv/bin/python benchmarks/matching.py [--sections quality,latency,train] [--seeds 3]
        [--train-exposures 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching import Recommender
from matching.evaluate import Report, evaluate
from matching.synthetic import make_buyers, make_lots, make_market

GOALS_MS = {"lots_100k": 50.0, "lots_600": 25.0, "buyers_5k": 20.0}


def section_quality(args: argparse.Namespace, state: dict) -> str:
    seeds = tuple(range(1000, 1000 + args.seeds))
    t0 = time.perf_counter()
    market = getattr(args, "market", {})  # smaller markets for the smoke test
    report = evaluate(seeds, **market)
    print(f"quality, biased logging policy, seeds {list(seeds)} ({time.perf_counter() - t0:.0f} s)")
    print(report.table())
    uniform = evaluate(seeds, methods={"recommender": Recommender}, policy="uniform", **market)
    print("quality, uniform random logging policy")
    print(uniform.table())
    state["report"], state["uniform"] = report, uniform
    fit = np.mean([r.fit_s for r in report.results["recommender"]])
    print(f"fit time per market: {fit:.1f} s")
    return (
        f"NDCG@10 {report.mean('recommender', 'ndcg@10'):.3f} "
        f"(uniform {uniform.mean('recommender', 'ndcg@10'):.3f})"
    )


def _timed(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    """p50 and p95 in ms of `n` calls fn(0) … fn(n − 1)."""
    ms = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        ms.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def section_latency(args: argparse.Namespace, state: dict) -> str:
    market = make_market(7)
    rec = Recommender().fit(market.lots, market.buyers, market.exposures)
    buyers = market.buyers
    open_lots = make_lots(8, 100_000)
    t = time.perf_counter()
    index = rec.index_lots(open_lots)
    index.tree()
    print(f"index 100,000 lots: {(time.perf_counter() - t) * 1000:.0f} ms (once)")
    rec.recommend_lots(buyers[0], index, 10)  # warm the TF-IDF rows of the index
    rng = np.random.default_rng(9)
    pick = rng.integers(len(buyers), size=args.queries)
    res = {}
    res["lots_100k"] = _timed(
        lambda i: rec.recommend_lots(buyers[pick[i]], index, 10), args.queries
    )
    cands = [open_lots[j : j + 600] for j in rng.integers(0, len(open_lots) - 600, args.queries)]
    res["lots_600"] = _timed(lambda i: rec.recommend_lots(buyers[pick[i]], cands[i], 10),
                             args.queries)  # fmt: skip
    recyclers = rec.index_buyers(make_buyers(10, 5000))
    res["buyers_5k"] = _timed(lambda i: rec.recommend_buyers(open_lots[i], recyclers, 10),
                              args.queries)  # fmt: skip
    labels = {
        "lots_100k": "top-10 lots among 100,000 open lots",
        "lots_600": "top-10 lots among 600 candidates (a list)",
        "buyers_5k": "top-10 buyers among 5,000 recyclers",
    }
    worst = 0.0
    for key, (p50, p95) in res.items():
        goal = GOALS_MS[key]
        worst = max(worst, p95 / goal)
        print(f"{labels[key]:<45} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (goal p95 ≤ {goal:.0f})")
    return f"latency worst p95/goal {worst:.2f}"


def section_train(args: argparse.Namespace, state: dict) -> str:
    per_week = 24  # 16 nearest + 8 random per buyer-week
    n_weeks = 17
    n_buyers = max(50, round(args.train_exposures / (per_week * n_weeks * 0.82)))  # 15 % cold
    t = time.perf_counter()
    market = make_market(
        11, n_buyers=n_buyers, n_weeks=n_weeks, lots_per_week=3000, n_test_lots=300,
        n_near=16, n_random=8, n_sellers=600,
    )  # fmt: skip
    gen = time.perf_counter() - t
    print(f"train market: {len(market.exposures):,} exposures, {len(market.lots):,} lots, "
          f"{n_buyers:,} buyers (generated in {gen:.0f} s)")  # fmt: skip
    t = time.perf_counter()
    Recommender().fit(market.lots, market.buyers, market.exposures)
    fit = time.perf_counter() - t
    print(f"fit on {len(market.exposures):,} exposures: {fit:.1f} s (goal ≤ 120 s)")
    return f"train {fit:.0f} s"


SECTIONS = {"quality": section_quality, "latency": section_latency, "train": section_train}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sections", default="quality,latency,train")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--train-exposures", type=int, default=1_000_000)
    args = ap.parse_args()
    state: dict = {}
    heads = []
    for name in args.sections.split(","):
        heads.append(SECTIONS[name](args, state))
        print(f"== {name}: {heads[-1]}")
    report: Report | None = state.get("report")
    if report is not None:
        ours, near = report.mean("recommender", "ndcg@10"), report.mean("nearest", "ndcg@10")
        print(f"{'; '.join(heads)}; mean NDCG@10 {ours:.3f} = {ours / near:.2f}× nearest-first")
    else:
        print("; ".join(heads))


if __name__ == "__main__":
    main()
