"""Work that happens by itself: without a broker the web process's ticker closes sales at their
deadline; scheduled runs that changed nothing leave no job row."""

import time
from datetime import timedelta

import sqlalchemy as sa

from core.db import db
from core.jobs import Job
from core.time import utcnow
from marketplace.jobs.runner import SCHEDULE, Ticker, run_scheduled
from marketplace.lots.models import Lot, LotStatus
from tests.marketplace.trading.conftest import open_sale
from tests.marketplace.trading.test_trading_api import bid, force_deadline


def test_ticker_runs_each_job_when_due(app) -> None:
    ticker = Ticker(app, {"a": 60.0, "b": 300.0})
    assert ticker.due(0.0) == ["a", "b"]
    assert ticker.due(59.0) == []
    assert ticker.due(60.0) == ["a"]
    assert ticker.due(300.0) == ["a", "b"]
    from core import jobs

    assert set(SCHEDULE) <= set(jobs.registered())  # every scheduled job is really registered
    assert set(SCHEDULE) == {
        "trading.close_due",
        "trading.settle_due",
        "notify.deliver_due",
        "station.escalate_due",
        "passport.checkpoint",
        "recommend.digest",
    }


def test_a_run_that_did_nothing_leaves_no_row(app) -> None:
    for name in SCHEDULE:
        run_scheduled(name)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_ticker_thread_closes_a_sale_at_its_deadline(app, client, producer, listed, buyers):
    open_sale(client, producer, listed)
    assert bid(client, buyers[0], listed, "1600").status_code == 201
    force_deadline(listed["id"])
    ticker = Ticker(app, SCHEDULE, tick=0.05)
    ticker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(Lot, listed["id"]).status is LotStatus.AWARDED:
                break
            time.sleep(0.1)
    finally:
        ticker.stop()
    assert db.session.get(Lot, listed["id"]).status is LotStatus.AWARDED
    job = db.session.scalar(sa.select(Job).where(Job.name == "trading.close_due"))
    assert job.result == {"closed": [listed["id"]]}
    assert utcnow() - job.finished_at < timedelta(seconds=30)
