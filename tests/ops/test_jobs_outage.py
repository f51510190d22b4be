"""A job that crashes is marked failed with its error and can be retried through the API; a job
sent while the broker is down is refused with a clear 503 (and marked failed, so it can be
retried once the broker is back) — refused, not silently lost.

The broker outage is real: BROKER_URL points at a port nobody listens on, then a redis-server
of our own is started on that very port (when the binary is installed) and the retry goes
through to it.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from core import jobs
from core.db import db
from core.enums import OrgKind
from tests.conftest import make_app
from tests.factories import bearer, make_org, make_user
from tests.marketplace.test_jobs import wait_for
from tests.ops.servers import free_port

FLAKY = {"fail": True}


@jobs.job("test.flaky")
def flaky(ctx: jobs.JobContext) -> dict[str, int]:
    """Fails while FLAKY says so, as a job whose upstream service is briefly away does."""
    if FLAKY["fail"]:
        raise ConnectionError("upstream refused")
    return {"ok": 1}


def test_crashed_job_is_failed_with_its_error_and_retried_through_the_api(client) -> None:
    headers = bearer(make_user(make_org(OrgKind.ADMIN)))
    row = jobs.create("test.flaky")
    db.session.commit()
    FLAKY["fail"] = True
    jobs.execute(row.id)
    failed = client.get(f"/api/v1/jobs/{row.id}", headers=headers).json
    assert failed["state"] == "failed"
    assert failed["error"] == "ConnectionError: upstream refused"

    FLAKY["fail"] = False
    retried = client.post(f"/api/v1/jobs/{row.id}/retry", headers=headers)
    assert retried.status_code == 202, retried.json
    done = wait_for(client, f"/api/v1/jobs/{row.id}", headers)
    assert done["state"] == "succeeded"
    assert done["result"] == {"ok": 1}
    assert done["error"] is None

    again = client.post(f"/api/v1/jobs/{row.id}/retry", headers=headers)
    assert again.status_code == 409  # only a failed job is retried
    assert again.json["error"]["fields"] == {"state": "only a failed job can be retried"}


def test_a_job_is_claimed_once_even_when_sent_twice(app) -> None:
    FLAKY["fail"] = False
    row = jobs.create("test.flaky")
    db.session.commit()
    jobs.execute(row.id)
    db.session.expire_all()
    finished = db.session.get(jobs.Job, row.id).finished_at
    jobs.execute(row.id)  # a redelivery: not run again
    db.session.expire_all()
    assert db.session.get(jobs.Job, row.id).finished_at == finished


def test_broker_down_refuses_the_job_with_503_and_the_retry_goes_through(tmp_path) -> None:
    port = free_port()
    app = make_app(
        f"sqlite:///{tmp_path / 'jobs.sqlite3'}", tmp_path, BROKER_URL=f"redis://127.0.0.1:{port}/0"
    )
    from tests.conftest import upgrade

    upgrade(app)
    client = app.test_client()
    with app.app_context():
        headers = bearer(make_user(make_org(OrgKind.ADMIN)))
        db.session.commit()

    started = time.monotonic()
    refused = client.post("/api/v1/jobs", json={"name": "system.selfcheck"}, headers=headers)
    assert refused.status_code == 503
    assert time.monotonic() - started < 15  # refused promptly, not hung on the broker
    assert refused.headers["Retry-After"] == "10"
    assert refused.json["error"]["code"] == "unavailable"
    with app.app_context():
        (row,) = db.session.scalars(db.select(jobs.Job)).all()
        assert row.state is jobs.JobState.FAILED
        assert row.error.startswith("broker unavailable")
        job_id = row.id

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the broker cannot come back in this test")
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        broker = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                broker.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        retried = client.post(f"/api/v1/jobs/{job_id}/retry", headers=headers)
        assert retried.status_code == 202, retried.json
        assert retried.json["state"] == "queued"
        assert broker.llen("celery") == 1  # the message is on the broker's queue for a worker
        broker.close()
    finally:
        server.terminate()
        server.wait(10)
    with app.app_context():
        db.engine.dispose()
