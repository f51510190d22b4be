"""Training as a job on real exposures and bids: progress, activation, offline metrics (holdout
or synthetic, labelled), clear failures with too little data, and the CLI."""

from datetime import UTC, datetime

import sqlalchemy as sa

import matching
from core import jobs
from core.db import db
from marketplace.recommend import adapter, training
from marketplace.recommend.models import ModelVersion
from matching.synthetic import make_market


def run_job():
    row = jobs.create("recommend.train")
    db.session.commit()
    jobs.execute(row.id)
    return db.session.get(jobs.Job, row.id)


def test_the_job_trains_activates_and_stores_synthetic_metrics(history, paper):
    job = run_job()
    assert job.state is jobs.JobState.SUCCEEDED, job.error
    assert (job.progress, job.total, job.message) == (5, 5, "完成")
    (row,) = db.session.scalars(sa.select(ModelVersion))
    assert row.active
    assert job.result == {"version": 1, "exposures": 36, "bids": 13, "metrics_source": "synthetic"}
    assert (row.n_exposures, row.n_bids, row.n_lots, row.n_buyers) == (36, 13, 12, 3)
    assert row.metrics_source == "synthetic"  # 36 exposures are too few for a holdout
    assert 0 < row.metrics["ndcg@10"] <= 1
    assert row.metrics["infeasible@10"] == 0
    assert row.metrics["baselines_ndcg@10"]["oracle"] == 1.0
    assert row.metrics["market"]["n_buyers"] == 20  # the platform's size, within bounds
    assert row.format_version == matching.FORMAT_VERSION
    assert row.job_id == job.id
    # the file is in the store and loads
    from marketplace.recommend import services

    assert services.model_store().exists(row.sha256)
    assert services.load_active().model is not None


def test_a_second_training_replaces_the_active_version(history, paper):
    run_job()
    run_job()
    rows = list(db.session.scalars(sa.select(ModelVersion).order_by(ModelVersion.version)))
    assert [(r.version, r.active) for r in rows] == [(1, False), (2, True)]


def test_too_little_data_fails_with_words_and_writes_nothing(client, producer, paper):
    job = run_job()
    assert job.state is jobs.JobState.FAILED
    assert "曝光记录不足（0 条" in job.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelVersion)) == 0


def test_only_bids_fail_clearly(client, producer, paper):
    from tests.marketplace.recommend.conftest import list_lots, log_history

    lots = list_lots(client, producer, 8)
    log_history(lots, paper, {0: set(range(8)), 1: set(range(8)), 2: set(range(8))})
    job = run_job()
    assert job.state is jobs.JobState.FAILED
    assert "既有出价也有未出价" in job.error


def test_holdout_metrics_on_enough_real_data():
    """With enough logs the metrics come from the latest 20 % of them (checked on a market
    whose logs play the part of real ones: only lots, buyers and exposures go in)."""
    market = make_market(3, n_buyers=60, n_sellers=30, n_weeks=4, lots_per_week=80)
    data = adapter.TrainingData(market.lots, market.buyers, market.exposures)
    split = training._holdout_split(data.exposures)
    assert split is not None
    train, test = split
    assert max(e.shown_at for e in train) <= min(e.shown_at for e in test)
    metrics = training.holdout_metrics(data, train, test)
    assert metrics["n_test"] == len(test)
    assert 0.5 < metrics["auc"] <= 1
    assert 0 < metrics["ndcg@10"] <= 1
    assert 0 <= metrics["ece"] < 0.2


def test_the_cli_trains(app, history, paper):
    result = app.test_cli_runner().invoke(args=["recommend", "train"])
    assert result.exit_code == 0, result.output
    assert "model v1: 36 exposures, 13 bids" in result.output
    assert "[2/5] 训练模型" in result.output


def test_the_cli_says_why_it_cannot_train(app, paper):
    result = app.test_cli_runner().invoke(args=["recommend", "train"])
    assert result.exit_code != 0
    assert "曝光记录不足" in result.output


def test_small_holdout_is_refused():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    few = [matching.Exposure("b", str(i), when, i % 2 == 0) for i in range(100)]
    assert training._holdout_split(few) is None


def test_metrics_are_json_safe():
    """NaN (nothing to measure) is stored as null: PostgreSQL's JSON refuses NaN."""
    assert training._clean({"a": float("nan"), "b": {"c": 0.123456}, "n": 3}) == {
        "a": None,
        "b": {"c": 0.1235},
        "n": 3,
    }
