"""A gunicorn worker killed with SIGKILL in the middle of a settlement or a payout leaves no
half write, and the client's retry completes exactly once.

The test holds a row lock on the buyer's ledger account from its own connection, so the
request blocks inside its transaction after it has already written (the trade moved to
settled, the seller's account created); PostgreSQL shows it waiting on the lock. Then the worker
gets SIGKILL: no `finally`, no rollback from Python. The server must throw the open transaction
away; gunicorn starts a new worker; the client retries.

Slow (a real gunicorn per test, PostgreSQL only):
    .venv/bin/python -m pytest tests/marketplace/test_robust_kill.py -m slow -q
"""

# ruff: noqa: F811 (the fixtures imported below are parameters of the tests)
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from core.db import db
from marketplace.trading.models import LedgerAccount, LedgerEntry, Trade, TradeStatus
from tests.marketplace.trading.conftest import admin, buyers, listed  # noqa: F401 (fixtures)
from tests.marketplace.trading.test_fulfilment import delivered
from tests.ops.servers import gunicorn

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_app(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("row locks and a second server process: PostgreSQL only")
    return app


def lock_account(app, org_id: int, bucket: str):
    """Open a transaction that holds the account's row lock until it is rolled back."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.NullPool)
    conn = engine.connect()
    conn.begin()
    conn.execute(
        sa.select(LedgerAccount)
        .where(LedgerAccount.organization_id == org_id, LedgerAccount.bucket == bucket)
        .with_for_update()
    ).one()
    return conn


def wait_until_blocked(conn, seconds: float = 20) -> None:
    """Until another backend of this database waits on a lock (our request, mid-transaction)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        ).scalar()
        if waiting:
            return
        time.sleep(0.05)
    activity = conn.execute(
        sa.text(
            "SELECT pid, datname, state, wait_event_type, wait_event, left(query, 120)"
            " FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
    ).all()
    raise AssertionError(f"the request never reached the lock: {activity}")


def kill_mid_request(server, app, lock_org: int, bucket: str, send, warm) -> None:
    """Send a request, wait for it to block on the lock, SIGKILL the worker serving it."""
    assert warm().status_code == 200  # a worker that has served a request, as in production
    (worker,) = server.worker_pids()
    conn = lock_account(app, lock_org, bucket)
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(send)
            try:
                wait_until_blocked(conn)
            except AssertionError:
                print(server.output())
                raise
            os.kill(worker, signal.SIGKILL)
            with pytest.raises(requests.ConnectionError):
                pending.result(timeout=30)  # the client sees the connection drop, no answer
    finally:
        conn.rollback()
        conn.close()
    server.wait_ready()  # the master has started a new worker
    assert server.worker_pids() != [worker]


def entries(reference: str | None = None, key: str | None = None) -> list[LedgerEntry]:
    db.session.expire_all()
    query = sa.select(LedgerEntry)
    if reference is not None:
        query = query.where(LedgerEntry.reference == reference)
    if key is not None:
        query = query.where(LedgerEntry.idempotency_key.like(f"%{key}"))
    return list(db.session.scalars(query))


def money() -> dict[tuple[int, str], int]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(LedgerAccount))
    return {(r.organization_id, str(r.bucket)): r.balance_fen for r in rows}


def test_settlement_killed_mid_transaction_leaves_nothing_and_the_retry_settles_once(
    pg_app,
    client,
    producer,
    listed,
    buyers,
    admin,
):
    buyer = buyers[0]
    trade_id, path = delivered(client, producer, listed, buyer, admin)
    before_money, before_entries = money(), len(entries())
    url_env = {"DATABASE_URL": pg_app.config["SQLALCHEMY_DATABASE_URI"]}
    with gunicorn(url_env) as server:

        def settle():
            return requests.post(server.base + path + "/settle", headers=buyer.headers, timeout=30)

        def warm():
            return requests.get(server.base + path, headers=buyer.headers, timeout=30)

        kill_mid_request(server, pg_app, buyer.organization_id, "held", settle, warm)

        trade = db.session.get(Trade, trade_id)
        db.session.refresh(trade)
        assert trade.status is TradeStatus.DELIVERED  # the status change died with the worker
        assert money() == before_money
        assert len(entries()) == before_entries

        retried = settle()
        assert retried.status_code == 200, retried.text
        again = settle()
        assert again.status_code == 409  # settled once; a second settle moves nothing
    db.session.refresh(trade)
    assert trade.status is TradeStatus.SETTLED
    settled = [e for e in entries(reference=f"trade:{trade_id}") if str(e.kind) == "settle"]
    assert len(settled) == 1
    after = money()
    assert sum(after.values()) == sum(before_money.values())  # money moved, none made or lost
    assert after[(producer.organization_id, "available")] == 20_000_00


def test_payout_killed_mid_transaction_then_retried_with_its_key_pays_once(
    pg_app,
    client,
    producer,
    listed,
    buyers,
    admin,
):
    buyer = buyers[0]
    delivered(client, producer, listed, buyer, admin, fund="30000")  # 10,000 CNY left over
    before = money()
    assert before[(buyer.organization_id, "available")] == 10_000_00
    headers = {**buyer.headers, "Idempotency-Key": "bank-transfer-0001"}
    body = {"amount_yuan": "2500", "reference": "招商银行 尾号 6688"}
    url_env = {"DATABASE_URL": pg_app.config["SQLALCHEMY_DATABASE_URI"]}
    with gunicorn(url_env) as server:

        def pay():
            return requests.post(
                server.base + "/api/v1/escrow/payouts", json=body, headers=headers, timeout=30
            )

        def warm():
            return requests.get(server.base + "/api/v1/escrow", headers=headers, timeout=30)

        kill_mid_request(server, pg_app, buyer.organization_id, "available", pay, warm)
        assert money() == before
        assert not entries(key="bank-transfer-0001")

        first = pay()
        assert first.status_code == 201, first.text
        replay = pay()  # the client did not see the answer and sends again: same entry back
        assert replay.status_code == 201
        assert replay.json()["id"] == first.json()["id"]
    assert len(entries(key="bank-transfer-0001")) == 1
    assert money()[(buyer.organization_id, "available")] == 7_500_00
