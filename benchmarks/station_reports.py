"""The station benchmark's database sections: recording a weighing through the services and
the three reports, on a scratch PostgreSQL database holding a month of a busy station."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from benchmarks import station_data
from benchmarks.common import scratch_database, vacuum_analyze

FIRST_DAY = date(2026, 10, 1)
DAYS = 30


@dataclass
class Database:
    """The loaded scratch database: the app on it and what the set-up made."""

    app: Any
    bench: station_data.Bench


@contextmanager
def prepare(per_day: int) -> Iterator[Database]:
    """Create, migrate and load the scratch database; drop it on exit."""
    from flask_migrate import upgrade

    from core.db import db
    from marketplace import create_app

    with scratch_database("huanlian_station_bench") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()
        bench = station_data.set_up(app, factories=20, first_day=FIRST_DAY, days=DAYS)
        started = time.perf_counter()
        counts = station_data.load(app, bench, per_day=per_day)
        vacuum_analyze(app)
        listed = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        print(f"loaded {listed} in {time.perf_counter() - started:.1f} s")
        try:
            yield Database(app, bench)
        finally:
            with app.app_context():
                db.engine.dispose()


def record_weighings(
    database: Database, n: int, *, warmup: int = 20, numbering: int = 0
) -> list[float]:
    """Milliseconds per `stages.receive` + commit, each in its own app context (a request);
    the first `warmup` are not counted (connection pool, statement caches)."""
    from core.db import db
    from station.models import TareKind
    from station.services import stages
    from station.services.weigh import Gross, TareSpec

    app, bench = database.app, database.bench
    start = datetime.combine(FIRST_DAY + timedelta(days=DAYS), datetime.min.time(), UTC)
    times = []
    for i in range(warmup + n):
        at = start + timedelta(minutes=2 * (numbering + i))
        with app.app_context():
            number = f"BENCH-{numbering + i:06d}"
            delivery = station_data.delivery_note(bench, number, now=at, vehicle_plate="粤S12345")
            db.session.commit()
            net = Decimal(950) if i % 10 == 9 else Decimal(1000) + Decimal(i % 7) - 3
            gross = Gross(Decimal(4200) + net, bench.scale_id, f"\x02+{net}\x03".encode())
            tare = [TareSpec(TareKind.VEHICLE, "粤S12345")]
            started = time.perf_counter()
            stages.receive(bench.actor, delivery.id, gross, tare, now=at, tz=station_data.TZ)
            db.session.commit()
            times.append((time.perf_counter() - started) * 1000)
    return times[warmup:]


def round_trips(database: Database, n: int) -> tuple[list[float], float]:
    """The baseline of the same run: milliseconds per `SELECT 1` through the session (one
    round trip to PostgreSQL), and the statements one timed receipt sends."""
    import sqlalchemy as sa

    from core.db import db

    times = []
    with database.app.app_context():
        for _ in range(n):
            started = time.perf_counter()
            db.session.execute(sa.text("SELECT 1"))
            times.append((time.perf_counter() - started) * 1000)
        engine = db.engine
    count = [0]

    def counted(*_: Any) -> None:
        count[0] += 1

    sa.event.listen(engine, "before_cursor_execute", counted)
    try:
        record_weighings(database, 10, warmup=0, numbering=900_000)
    finally:
        sa.event.remove(engine, "before_cursor_execute", counted)
    per_receipt = count[0] / 10 - 3  # less the set-up's delivery note (insert, link, check)
    return times, per_receipt


def _export_day(actor: Any, day: date) -> int:
    """A day's process records as the XLSX export writes them (pages of 200)."""
    from station import reports as pure
    from station.services import reports

    rows, page = [], 1
    while True:
        found = reports.process(
            actor, tz=station_data.TZ, day=day, page=page, per_page=reports.MAX_PER_PAGE
        )
        rows += found.rows
        if page >= found.pages:
            break
        page += 1
    pure.to_xlsx(rows, pure.PROCESS_COLUMNS, "过程记录表", station_data.TZ)
    return len(rows)


def run_reports(database: Database, runs: int) -> dict[str, tuple[float, float, int]]:
    """(best ms, median ms, rows) per report, each run in its own app context."""
    from station import quota
    from station import reports as pure
    from station.services import reports

    actor, tz = database.bench.actor, station_data.TZ
    middle, last = FIRST_DAY + timedelta(days=DAYS // 2), FIRST_DAY + timedelta(days=DAYS - 1)
    cases: dict[str, Callable[[], int]] = {
        "inventory (a day)": lambda: len(reports.inventory(actor, middle, tz)),
        "process (a day, page 1 of 50)": lambda: len(
            reports.process(actor, tz=tz, day=middle).rows
        ),
        "process (a day, page 20 of 50)": lambda: len(
            reports.process(actor, tz=tz, day=middle, page=20).rows
        ),
        "process (month, anomalies, page 1)": lambda: len(
            reports.process(actor, tz=tz, result=quota.Result.ANOMALY).rows
        ),
        "disposal (month by month)": lambda: len(
            reports.disposal(actor, first=FIRST_DAY, last=last, period=pure.Period.MONTH, tz=tz)
        ),
        "disposal (month by day)": lambda: len(
            reports.disposal(actor, first=FIRST_DAY, last=last, period=pure.Period.DAY, tz=tz)
        ),
        "process XLSX export (a day)": lambda: _export_day(actor, middle),
    }
    out = {}
    for name, run in cases.items():
        times, rows = [], 0
        for _ in range(runs):
            with database.app.app_context():
                started = time.perf_counter()
                rows = run()
                times.append((time.perf_counter() - started) * 1000)
        out[name] = (min(times), statistics.median(times), rows)
    return out
