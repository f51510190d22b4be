"""The passport benchmark's database sections (``benchmarks/passport.py --sections db``).

On SQLite (a file in a temporary folder) and on PostgreSQL (a scratch database, dropped after):

- **append**: pre-built weighing events over 100 lots, through the real migrations, triggers
  and stored Merkle log: ``store.record`` with one transaction per event (as a lifecycle step
  commits it; bound by round trips and the commit) and ``store.record_many`` of 100 events
  per transaction (a capture document; the goal ≥ 1,000 events/s on PostgreSQL is for this);
- **verify**: ``proofs.verify_lot`` of a lot of 100 events from the database (bundle export
  with every inclusion and head proof read from the stored tree, then the full verifier),
  after a checkpoint, among the other lots' entries.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import scratch_database
from core.db import db
from passport import epcis

T0 = datetime(2026, 12, 1, tzinfo=UTC)
BASE = "https://huanlian.example"


@contextmanager
def platform(url: str, folder: Path) -> Iterator[object]:
    """The real app on `url`, migrated, inside an app context."""
    from flask_migrate import upgrade

    from marketplace import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "SCHEDULER_IN_PROCESS": False,
            "PUBLIC_BASE_URL": BASE,
            "PASSPORT_KEY_FILE": str(folder / "key.pem"),
        }
    )
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _events(lots: int, per_lot: int) -> list[dict]:
    events = []
    for i in range(per_lot):
        for n in range(lots):
            events.append(
                epcis.weighing(
                    f"{BASE}/lot/HL-B{n}",
                    at=T0 + timedelta(seconds=i * lots + n),
                    net_g=10_000 + i,
                    scale=f"{BASE}/scale/1",
                )
            )
    return events


def _append(events: list[dict], batch: int) -> float:
    from passport.services import store

    start = time.perf_counter()
    if batch == 1:
        for event in events:
            store.record(event)
            db.session.commit()
    for first in range(0, len(events), batch) if batch > 1 else ():
        store.record_many(events[first : first + batch])
        db.session.commit()
    return len(events) / (time.perf_counter() - start)


def _measure(name: str, url: str, args: argparse.Namespace) -> tuple[float, float, float]:
    from passport.services import proofs, store

    with tempfile.TemporaryDirectory() as folder, platform(url, Path(folder)):
        for n in range(100):
            store.register_lot(f"HL-B{n}", at=T0)
        db.session.commit()
        events = _events(100, max(1, args.db_events // 200))
        half = len(events) // 2
        single = _append(events[:half], 1)
        batched = _append(events[half:], 100)
        print(
            f"db {name}: append {half:,} events, one transaction each: {single:,.0f} events/s; "
            f"{len(events) - half:,} by record_many, 100 per transaction: {batched:,.0f} events/s"
        )
        lot = "HL-B7"
        extra = 100 - store.get_lot(lot).seq
        for i in range(max(extra, 0)):
            store.record(
                epcis.weighing(
                    f"{BASE}/lot/{lot}",
                    at=T0 + timedelta(days=1, seconds=i),
                    net_g=9_000 + i,
                    scale=f"{BASE}/scale/1",
                )
            )
        proofs.make_checkpoint()
        db.session.commit()
        assert store.get_lot(lot).seq >= 100
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = proofs.verify_lot(lot)
            times.append((time.perf_counter() - start) * 1000)
            assert report.ok, report.problems
        db.session.rollback()
        size = proofs.stored_log().size
        median = statistics.median(times)
        print(
            f"db {name}: verify a lot of {store.get_lot(lot).seq} events from the database "
            f"(log {size:,}): best {min(times):.1f} ms, median {median:.1f} ms"
        )
        return single, batched, median


def section_db(args: argparse.Namespace) -> tuple[str, float | None]:
    """Append throughput on SQLite and PostgreSQL and verifying a lot from the database."""
    with tempfile.TemporaryDirectory() as folder:
        lite = _measure("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args)
    with scratch_database("hl_passport_bench") as url:
        pg = _measure("postgresql", url, args)
    print(f"db: PostgreSQL/SQLite append ratio (one transaction each): {pg[0] / lite[0]:.2f}")
    headline = (
        f"PostgreSQL append {pg[0]:,.0f} events/s (one transaction each), "
        f"{pg[1]:,.0f} events/s (100 per transaction); SQLite {lite[0]:,.0f} / {lite[1]:,.0f}; "
        f"lot of 100 verified from PostgreSQL in {pg[2]:.1f} ms"
    )
    # the goal (≥ 1,000 events/s on PostgreSQL) is for batched appends; verifying against 50 ms
    return headline, min(pg[1] / 1000, 50 / pg[2])
