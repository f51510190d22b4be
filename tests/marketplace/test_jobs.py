"""Background jobs: in-process without a broker, and on a real Celery worker with real Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from core import jobs
from core.db import db
from core.enums import OrgKind
from tests.conftest import unavailable
from tests.factories import bearer, make_org, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def wait_for(client, url, headers, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url, headers=headers).json
        if body["state"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    pytest.fail(f"job did not finish in {timeout}s: {body}")


def test_job_runs_in_process_and_reports_progress(client) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    headers = bearer(admin)
    started = client.post("/api/v1/jobs", json={"name": "system.selfcheck"}, headers=headers)
    assert started.status_code == 202
    assert started.json["state"] in ("queued", "running", "succeeded")
    done = wait_for(client, f"/api/v1/jobs/{started.json['id']}", headers)
    assert done["state"] == "succeeded"
    assert done["percent"] == 100
    assert done["progress"] == done["total"] == len(db.metadata.tables)
    assert done["result"]["tables"]["organizations"] == 1
    assert done["result"]["tables"]["users"] == 1


@jobs.job("test.explodes")
def explodes(ctx):
    ctx.progress(1, 3, "一")
    raise RuntimeError("boom")


def test_failed_job_is_recorded_not_raised(app) -> None:
    row = jobs.create("test.explodes")
    db.session.commit()
    jobs.execute(row.id)
    db.session.expire_all()
    row = db.session.get(jobs.Job, row.id)
    assert row.state is jobs.JobState.FAILED
    assert row.error == "RuntimeError: boom"
    assert row.progress == 1
    assert row.finished_at is not None
    jobs.execute(row.id)  # a finished job is not run again
    assert db.session.get(jobs.Job, row.id).state is jobs.JobState.FAILED


def test_unknown_job_name_is_refused(client) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    response = client.post("/api/v1/jobs", json={"name": "rm -rf"}, headers=bearer(admin))
    assert response.status_code == 422
    assert "name" in response.json["error"]["fields"]


def test_other_organisations_jobs_are_hidden(client) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    row = jobs.create("system.selfcheck", organization_id=admin.organization_id)
    db.session.commit()
    stranger = make_user()
    assert client.get(f"/api/v1/jobs/{row.id}", headers=bearer(stranger)).status_code == 403


@pytest.fixture
def redis_broker():
    try:
        conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        conn.ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()
    conn.close()


def test_job_runs_on_a_real_celery_worker_with_redis(
    app, database_url, redis_broker, tmp_path
) -> None:
    """Start `celery -A wsgi:celery worker` against the test database and real Redis."""
    from tests.conftest import make_app

    broker_app = make_app(database_url, tmp_path, BROKER_URL=redis_broker)
    admin = make_user(make_org(OrgKind.ADMIN))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_broker,
        "SECRET_KEY": "test-secret",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wsgi:celery",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = broker_app.test_client()
        headers = bearer(admin)
        started = client.post("/api/v1/jobs", json={"name": "system.selfcheck"}, headers=headers)
        assert started.status_code == 202
        done = wait_for(client, f"/api/v1/jobs/{started.json['id']}", headers, timeout=60)
        assert done["state"] == "succeeded", done
        assert done["result"]["tables"]["organizations"] == 1
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
    assert "huanlian.run_job" in output  # the worker, not this process, ran it
    with broker_app.app_context():
        db.engine.dispose()
    assert db.session.scalar(sa.select(jobs.Job.state)) is jobs.JobState.SUCCEEDED
