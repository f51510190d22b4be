"""Webhook delivery against real HTTP servers on 127.0.0.1: signatures verified with the
secret, retries with backoff after a 500, a timeout on a receiver that hangs, the delivery log,
disabling after repeated failures, ping and re-delivery, and two concurrent runs on PostgreSQL."""

import itertools
import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.i18n import N_
from core.time import utcnow
from marketplace.notify import delivery, publish
from marketplace.notify.models import (
    Notification,
    OutboxStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

AWARDED = N_("批次 %(lot)s 已成交，成交价 %(price)s 元/吨。")


def register(client, manager, receiver, events=("trade.awarded",)):
    created = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": list(events)},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.json
    receiver.secret = created.json["secret"]
    return created.json


def award(org_id, lot_id=12, now=None):
    publish(
        "trade.awarded",
        [org_id],
        message=AWARDED,
        params={"lot": f"#{lot_id}", "price": "1,600.00"},
        link=f"/lots/{lot_id}",
        payload={"lot_id": lot_id, "price_yuan_per_t": "1600.00", "note": "黄板纸"},
        now=now,
    )
    db.session.commit()


def run_at(moment):
    report = delivery.deliver_due(now=lambda: moment)
    db.session.expire_all()
    return report


def deliveries():
    return db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def test_delivered_signed_with_the_secret_and_logged(
    webhook_app, client, manager, receiver_factory
):
    receiver = receiver_factory(statuses=[200])
    hook = register(client, manager, receiver)
    award(manager.organization_id)
    report = run_at(utcnow())
    assert report.delivered == 1

    [got] = receiver.requests
    assert got.verified is True  # checked with the secret, the receiver's way
    assert got.path == "/huanlian/webhook"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Huanlian-Event"] == "trade.awarded"
    [row] = deliveries()
    assert got.headers["X-Huanlian-Delivery"] == row.public_id
    assert got.json["id"] == row.public_id
    assert got.json["data"] == {"lot_id": 12, "price_yuan_per_t": "1600.00", "note": "黄板纸"}
    assert got.body == row.body.encode()  # byte for byte what is signed and stored
    assert row.status is OutboxStatus.SUCCEEDED
    assert row.delivered_at is not None
    [attempt] = row.attempts
    assert attempt.status_code == 200
    assert attempt.error == ""
    assert attempt.duration_ms >= 0
    assert '"ok"' in attempt.response_excerpt

    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=manager.headers).json
    assert log["total"] == 1
    assert log["items"][0]["status"] == "succeeded"
    detail = client.get(f"/api/v1/webhooks/deliveries/{row.id}", headers=manager.headers).json
    assert detail["attempts"][0]["status_code"] == 200
    assert json.loads(detail["body"])["event"] == "trade.awarded"
    assert run_at(utcnow()).delivered == 0  # nothing is sent twice


def test_500_then_200_retries_after_the_backoff(webhook_app, client, manager, receiver_factory):
    receiver = receiver_factory(statuses=[500, 200])
    register(client, manager, receiver)
    t0 = utcnow()
    award(manager.organization_id, now=t0)

    assert run_at(t0).retrying == 1
    [row] = deliveries()
    assert row.status is OutboxStatus.PENDING
    assert row.failures == 1
    wait = row.next_attempt_at - t0
    assert timedelta(seconds=54) <= wait <= timedelta(seconds=66)  # 1 min ± 10 %
    assert run_at(t0 + timedelta(seconds=30)).retrying == 0  # not yet due: nothing sent
    assert len(receiver.requests) == 1

    assert run_at(t0 + timedelta(seconds=70)).delivered == 1
    [row] = deliveries()
    assert row.status is OutboxStatus.SUCCEEDED
    assert [a.status_code for a in row.attempts] == [500, 200]
    assert row.attempts[0].response_excerpt == "receiver error"
    assert len(receiver.requests) == 2
    assert all(r.verified for r in receiver.requests)
    ids = {r.headers["X-Huanlian-Delivery"] for r in receiver.requests}
    assert ids == {row.public_id}  # one idempotency key across attempts
    endpoint = db.session.get(WebhookEndpoint, row.endpoint_id)
    assert endpoint.consecutive_failures == 0


def test_gives_up_after_the_whole_schedule(webhook_app, client, manager, receiver_factory):
    """Six attempts 1 min, 5 min, 30 min, 2 h, 12 h apart (±10 %), then failed for good."""
    receiver = receiver_factory(statuses=[503], tolerance_s=10**6)
    register(client, manager, receiver)
    t = utcnow()
    award(manager.organization_id, now=t)
    for _ in range(6):
        run_at(t)
        [row] = deliveries()
        if row.next_attempt_at:
            t = row.next_attempt_at
    [row] = deliveries()
    assert row.status is OutboxStatus.FAILED
    assert row.next_attempt_at is None
    times = [a.at for a in row.attempts]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    for gap, planned in zip(gaps, [60, 300, 1800, 7200, 43200], strict=True):
        assert planned * 0.9 <= gap <= planned * 1.1
    assert run_at(t + timedelta(days=2)).failed == 0  # a failed row is not retried by itself
    assert len(receiver.requests) == 6


def test_a_receiver_that_hangs_times_out(webhook_app, client, manager, receiver_factory):
    receiver = receiver_factory(statuses=["hang"])
    register(client, manager, receiver)
    award(manager.organization_id)
    report = run_at(utcnow())
    assert report.retrying == 1
    [row] = deliveries()
    [attempt] = row.attempts
    assert attempt.status_code is None
    assert "timeout" in attempt.error
    assert 900 <= attempt.duration_ms < 4000  # WEBHOOK_TIMEOUT_S = 1 in these tests
    assert row.status is OutboxStatus.PENDING


def test_unreachable_receiver_is_an_error_attempt(webhook_app, client, manager, receiver_factory):
    receiver = receiver_factory()
    register(client, manager, receiver)
    # nothing listens on the discard port: the connection is refused
    db.session.execute(sa.update(WebhookEndpoint).values(url="http://127.0.0.1:9/closed"))
    db.session.commit()
    award(manager.organization_id)
    run_at(utcnow())
    [attempt] = db.session.scalars(sa.select(WebhookAttempt)).all()
    assert attempt.status_code is None
    assert "refused" in attempt.error


def test_repeated_failures_disable_the_endpoint_and_tell_the_org(
    webhook_app, client, manager, receiver_factory
):
    webhook_app.config["WEBHOOK_DISABLE_AFTER"] = 3
    receiver = receiver_factory(statuses=[500])
    hook = register(client, manager, receiver)
    for lot in (1, 2, 3, 4):
        award(manager.organization_id, lot_id=lot)
    report = run_at(utcnow())
    assert report.retrying == 3
    assert report.disabled == [hook["id"]]
    assert len(receiver.requests) == 3  # the fourth waits: its endpoint is off
    endpoint = db.session.get(WebhookEndpoint, hook["id"])
    assert endpoint.active is False
    assert endpoint.disabled_at is not None
    warning = db.session.scalar(
        sa.select(Notification).where(Notification.event == "webhook.disabled")
    )
    assert warning.organization_id == manager.organization_id
    assert warning.params == {"url": receiver.url, "n": 3}
    assert warning.link == f"/webhooks/{hook['id']}"
    assert run_at(utcnow() + timedelta(hours=1)).delivered == 0
    assert len(receiver.requests) == 3

    # fixed and switched on again: the waiting deliveries go out
    receiver.statuses = [200]
    client.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": True}, headers=manager.headers)
    assert db.session.get(WebhookEndpoint, hook["id"]).consecutive_failures == 0
    assert run_at(utcnow() + timedelta(minutes=2)).delivered == 4  # the retries are due by then


def test_ping_and_redeliver(webhook_app, client, manager, receiver_factory):
    receiver = receiver_factory(statuses=[200])
    hook = register(client, manager, receiver)
    ping = client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=manager.headers)
    assert ping.status_code == 202
    assert ping.json["event"] == "webhook.ping"
    assert ping.json["status"] == "pending"
    again = client.post(
        f"/api/v1/webhooks/deliveries/{ping.json['id']}/redeliver", headers=manager.headers
    )
    assert again.status_code == 409  # still queued
    assert again.json["error"]["fields"] == {"status": "pending"}
    run_at(utcnow())
    assert receiver.requests[0].json["event"] == "webhook.ping"
    assert receiver.requests[0].json["data"]["endpoint_id"] == hook["id"]
    assert receiver.requests[0].verified

    again = client.post(
        f"/api/v1/webhooks/deliveries/{ping.json['id']}/redeliver", headers=manager.headers
    )
    assert again.status_code == 202
    run_at(utcnow())
    first, second = receiver.requests
    assert first.headers["X-Huanlian-Delivery"] == second.headers["X-Huanlian-Delivery"]
    assert first.body == second.body
    assert second.verified
    [row] = deliveries()
    assert [a.status_code for a in row.attempts] == [200, 200]
    # removing the endpoint removes its log with it
    assert (
        client.delete(f"/api/v1/webhooks/{hook['id']}", headers=manager.headers).status_code == 204
    )
    assert deliveries() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookAttempt)) == 0


def test_rotated_secret_signs_from_then_on(webhook_app, client, manager, receiver_factory):
    receiver = receiver_factory(statuses=[200])
    hook = register(client, manager, receiver)
    old = receiver.secret
    receiver.secret = client.post(
        f"/api/v1/webhooks/{hook['id']}/secret", headers=manager.headers
    ).json["secret"]
    assert receiver.secret != old
    award(manager.organization_id)
    run_at(utcnow())
    assert receiver.requests[0].verified


def test_job_and_cli_run_the_same_delivery(webhook_app, client, manager, receiver_factory):
    from core import jobs

    receiver = receiver_factory(statuses=[200])
    register(client, manager, receiver)
    award(manager.organization_id, lot_id=1)
    job = jobs.create("notify.deliver_due")
    db.session.commit()
    jobs.execute(job.id)
    db.session.refresh(job)
    assert job.state is jobs.JobState.SUCCEEDED, job.error
    assert job.result["delivered"] == 1
    award(manager.organization_id, lot_id=2)
    out = webhook_app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert out.exit_code == 0, out.output
    assert "webhooks: 1 delivered" in out.output
    assert len(receiver.requests) == 2


def test_two_concurrent_runs_deliver_each_row_once(
    webhook_app, database_url, client, manager, receiver_factory
):
    if not database_url.startswith("postgresql"):
        pytest.skip("row claiming with SKIP LOCKED needs the real PostgreSQL")
    receiver = receiver_factory(statuses=[200], delay_s=0.05)
    register(client, manager, receiver)
    for lot in range(20):
        award(manager.organization_id, lot_id=lot + 1)
    barrier = threading.Barrier(2)
    reports = [None, None]

    def worker(i):
        with webhook_app.app_context():
            barrier.wait()
            try:
                reports[i] = delivery.deliver_due()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [r.headers["X-Huanlian-Delivery"] for r in receiver.requests]
    assert len(ids) == 20
    assert len(set(ids)) == 20  # each delivery exactly once
    assert reports[0].delivered + reports[1].delivered == 20
    assert reports[0].delivered > 0  # both workers really took part
    assert reports[1].delivered > 0
    db.session.expire_all()
    assert all(d.status is OutboxStatus.SUCCEEDED and len(d.attempts) == 1 for d in deliveries())


def test_writes_during_a_send_do_not_break_the_run(webhook_app, client, manager, receiver_factory):
    """A request commits (here: another announcement) while a slow receiver is being sent to;
    the run still records its attempt, on SQLite (one writer at a time) as on PostgreSQL."""
    receiver = receiver_factory(statuses=[200], delay_s=0.6)
    register(client, manager, receiver)
    award(manager.organization_id, lot_id=1)
    started = threading.Event()
    original = receiver.record

    def record_then_signal(item):
        original(item)
        started.set()

    receiver.record = record_then_signal

    def meanwhile():
        started.wait(5)
        with webhook_app.app_context():
            award(manager.organization_id, lot_id=2)
            db.session.remove()

    other = threading.Thread(target=meanwhile)
    other.start()
    report = delivery.deliver_due(now=utcnow, max_rows=1)
    other.join(10)
    assert report.delivered == 1
    db.session.expire_all()
    statuses = [d.status for d in deliveries()]
    assert statuses == [OutboxStatus.SUCCEEDED, OutboxStatus.PENDING]
