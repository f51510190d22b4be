"""PostgreSQL restarted under load: requests during the outage get a clean 503 with Retry-After,
gunicorn's workers recover by themselves (same pids, no restart), committed data is intact and a
retried money movement is not duplicated.

The database is a scratch cluster the test starts (initdb, pg_ctl) on its own port under /tmp,
so stopping it touches nothing else on the machine. Slow:
    .venv/bin/python -m pytest tests/ops/test_pg_restart.py -m slow -q
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from marketplace.trading.models import LedgerEntry
from tests.conftest import make_app, upgrade
from tests.factories import bearer, make_org, make_user
from tests.ops.servers import gunicorn, scratch_postgres

pytestmark = pytest.mark.slow


def test_restart_under_load_answers_503_then_recovers_without_duplicates(tmp_path) -> None:
    with scratch_postgres() as pg:
        url = pg.create_database("huanlian_restart")
        app = make_app(url, tmp_path)
        upgrade(app)
        with app.app_context():
            admin = bearer(make_user(make_org(OrgKind.ADMIN), Role.MANAGER))
            buyer = make_org(OrgKind.RECYCLER)
            buyer_id = buyer.id
            reader = bearer(make_user(buyer, Role.MANAGER))
            db.session.commit()
            db.engine.dispose()

        with gunicorn({"DATABASE_URL": url}, workers=2) as server:
            workers = sorted(server.worker_pids())
            answers: list[tuple[str, str, int, str | None]] = []  # kind, key, status, Retry-After
            stop = threading.Event()

            def load(n: int) -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    key = f"restart-{n}-{i}"
                    try:
                        if i % 2:
                            r = requests.post(
                                server.base + "/api/v1/escrow/top-ups",
                                json={
                                    "organization_id": buyer_id,
                                    "amount_yuan": "1",
                                    "reference": key,
                                },
                                headers={**admin, "Idempotency-Key": key},
                                timeout=30,
                            )
                            kind = "write"
                        else:
                            r = requests.get(
                                server.base + "/api/v1/escrow", headers=reader, timeout=30
                            )
                            kind = "read"
                    except requests.RequestException as exc:  # no answer at all is a failure
                        answers.append(("none", key, 0, repr(exc)))
                        continue
                    hint = r.headers.get("Retry-After")
                    if r.status_code == 503 and r.json()["error"]["code"] != "unavailable":
                        hint = "wrong error code"
                    answers.append((kind, key, r.status_code, hint))
                    time.sleep(0.02)

            threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            time.sleep(3)
            pg.stop()  # fast shutdown: open connections are cut, as in a crash or fail-over
            time.sleep(3)
            pg.start()
            time.sleep(4)
            stop.set()
            for t in threads:
                t.join(60)

            codes = Counter(status for _, _, status, _ in answers)
            assert set(codes) <= {200, 201, 503}, codes  # nothing else: no 500, no dropped reply
            assert codes[503] > 0, codes  # the outage was seen ...
            assert all(ra == "5" for _, _, status, ra in answers if status == 503)
            last = answers[-8:]
            assert all(status in (200, 201) for _, _, status, _ in last), last  # ... and is over
            assert sorted(server.worker_pids()) == workers  # recovered without a restart

            # The client retries every refused write with its key; accepted ones replay.
            writes = [(key, status) for kind, key, status, _ in answers if kind == "write"]
            for key, _status in writes:
                again = requests.post(
                    server.base + "/api/v1/escrow/top-ups",
                    json={"organization_id": buyer_id, "amount_yuan": "1", "reference": key},
                    headers={**admin, "Idempotency-Key": key},
                    timeout=30,
                )
                assert again.status_code == 201, again.text
            balance = requests.get(server.base + "/api/v1/escrow", headers=reader, timeout=30)

        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.connect() as conn:
            keys = conn.execute(sa.select(LedgerEntry.idempotency_key)).scalars().all()
        engine.dispose()
        assert sorted(keys) == sorted(key for key, _ in writes)  # each once, none lost
        assert balance.json()["available_yuan"] == f"{len(writes)}.00"
