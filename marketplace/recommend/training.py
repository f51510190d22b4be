"""Training a model version on the platform's real exposures and bids, and measuring it.

The offline metrics stored with a version say where they come from (`metrics_source`):
- `holdout`: when the logs are big enough (≥ 300 exposures, ≥ 30 bids and ≥ 30 non-bids in
  the latest 20 % by time), a model fitted on the earlier 80 % is measured on the later 20 %:
  NDCG@10 of each buyer's held-out lots ranked by P(bid) (a bid is the gain), ROC AUC, ECE and
  Brier. Real data has no hidden truth, so this is what can honestly be measured on it.
- `synthetic`: otherwise `matching.evaluate` on a synthetic market of about the platform's size
  (as many buyers and lots per week, within the library's sensible bounds), with the baselines,
  so the admin sees what the method does at this scale — clearly labelled as not real data.
The model that serves is then fitted on all exposures.
"""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import sqlalchemy as sa

import matching
from core.db import db
from core.errors import Invalid
from marketplace.recommend import adapter
from marketplace.recommend.models import ModelVersion
from marketplace.recommend.services import _CACHE, _CACHE_LOCK, model_store

MIN_EXPOSURES = 20
HOLDOUT_SHARE = 0.2
Progress = Callable[..., None]


def _check(data: adapter.TrainingData) -> None:
    n_bids = sum(e.bid for e in data.exposures)
    if len(data.exposures) < MIN_EXPOSURES:
        raise Invalid(
            "曝光记录不足（%(n)s 条，至少需要 %(min)s 条），暂不能训练；推荐暂按距离排序。",
            {"exposures": "too few exposures"},
            n=len(data.exposures),
            min=MIN_EXPOSURES,
        )
    if n_bids == 0 or n_bids == len(data.exposures):
        raise Invalid(
            "曝光记录中需要既有出价也有未出价的记录，暂不能训练。",
            {"exposures": "need both bids and non-bids"},
        )


def _holdout_split(
    exposures: list[matching.Exposure],
) -> tuple[list[matching.Exposure], list[matching.Exposure]] | None:
    order = sorted(exposures, key=lambda e: (e.shown_at is None, e.shown_at or 0))
    cut = int(len(order) * (1 - HOLDOUT_SHARE))
    train, test = order[:cut], order[cut:]
    bids = sum(e.bid for e in test)
    if len(exposures) < 300 or bids < 30 or len(test) - bids < 30:
        return None
    if len({e.bid for e in train}) < 2:
        return None
    return train, test


def holdout_metrics(
    data: adapter.TrainingData, train: list[matching.Exposure], test: list[matching.Exposure]
) -> dict[str, Any]:
    """Fit on the earlier exposures, measure on the later ones (see the module docstring)."""
    from sklearn.metrics import roc_auc_score

    from matching.evaluate import calibration, ndcg_at_k

    model = matching.Recommender().fit(data.lots, data.buyers, train)
    buyers = {b.id: b for b in data.buyers}
    lots = {lot.id: lot for lot in data.lots}
    pairs = [(buyers[e.buyer_id], lots[e.lot_id]) for e in test]
    p = model.predict_bid_proba(pairs)
    y = np.array([e.bid for e in test], dtype=float)
    per_buyer: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    for e, pi in zip(test, p, strict=True):
        per_buyer[e.buyer_id].append((float(pi), e.lot_id, int(e.bid)))
    ndcgs = []
    for rows in per_buyer.values():
        if any(g for *_, g in rows):
            ranked = [lid for _, lid, _ in sorted(rows, key=lambda r: -r[0])]
            ndcgs.append(ndcg_at_k(ranked, {lid: g for _, lid, g in rows}))
    ece, brier = calibration(p, y)
    return _clean(
        {
            "ndcg@10": float(np.mean(ndcgs)) if ndcgs else None,
            "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None,
            "ece": float(ece),
            "brier": float(brier),
            "n_train": len(train),
            "n_test": len(test),
            "n_buyers_scored": len(ndcgs),
        }
    )


def synthetic_metrics(data: adapter.TrainingData, seed: int) -> dict[str, Any]:
    """`matching.evaluate` on a synthetic market of about the platform's size, one seed."""
    from matching.evaluate import evaluate

    sellers = {lot.seller for lot in data.lots}
    size = {
        "n_buyers": int(np.clip(len(data.buyers), 20, 200)),
        "n_sellers": int(np.clip(len(sellers), 10, 150)),
        "n_weeks": 8,
        "lots_per_week": int(np.clip(len(data.lots) // 8, 30, 250)),
        "n_test_lots": int(np.clip(len(data.lots) // 4, 60, 600)),
    }
    report = evaluate([seed], methods={"recommender": matching.Recommender}, **size)
    metrics = {
        m: report.mean("recommender", m)
        for m in ("ndcg@10", "cold_ndcg@10", "infeasible@10", "coverage@10", "gini", "ece", "brier")
    }
    metrics["baselines_ndcg@10"] = {
        b: report.mean(b, "ndcg@10") for b in ("random", "nearest", "popularity", "oracle")
    }
    metrics["market"] = {**size, "seed": seed}
    return _clean(metrics)


def _clean(value: Any) -> Any:
    """JSON-safe metrics: NaN (a metric with nothing to measure, e.g. no cold-start buyer in
    the test window) becomes None — PostgreSQL's JSON refuses NaN — and floats are rounded."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def next_version() -> int:
    return int(db.session.scalar(sa.select(sa.func.max(ModelVersion.version))) or 0) + 1


def train(now: datetime, progress: Progress, *, job_id: int | None = None) -> ModelVersion:
    """Read the logs, measure, fit, store and activate a new model version (caller commits)."""
    progress(0, 5, "读取曝光与出价")
    data = adapter.training_data(now)
    _check(data)
    version = next_version()
    progress(1, 5, "离线评估")
    split = _holdout_split(data.exposures)
    if split is not None:
        metrics, source = holdout_metrics(data, *split), "holdout"
    else:
        metrics, source = synthetic_metrics(data, seed=version), "synthetic"
    progress(2, 5, "训练模型")
    model = matching.Recommender().fit(data.lots, data.buyers, data.exposures)
    progress(3, 5, "保存模型")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.joblib"
        model.save(path)
        sha = model_store().put(path.read_bytes())
    with _CACHE_LOCK:
        _CACHE[sha] = model
    # progress is written on its own connection: report before this session starts writing
    # (SQLite allows one writer at a time)
    progress(4, 5, "启用新模型")
    db.session.execute(sa.update(ModelVersion).values(active=False))
    row = ModelVersion(
        version=version,
        trained_at=now,
        n_lots=len(data.lots),
        n_buyers=len(data.buyers),
        n_exposures=len(data.exposures),
        n_bids=sum(e.bid for e in data.exposures),
        metrics=metrics,
        metrics_source=source,
        sha256=sha,
        format_version=matching.FORMAT_VERSION,
        sklearn_version=sklearn.__version__,
        active=True,
        job_id=job_id,
    )
    db.session.add(row)
    db.session.flush()
    return row
