"""The station benchmark's sections run: the parsers decode every protocol's generated stream
whole; the database sections (slow: a scratch PostgreSQL database) load, record and report."""

from __future__ import annotations

from benchmarks.station import FORMS, bench_parsers


def test_every_protocol_form_decodes_its_generated_stream() -> None:
    results = bench_parsers(n_frames=300, repeat=1)
    assert [r.label for r in results] == [f[0] for f in FORMS]
    assert all(r.frames == 300 for r in results)
    assert all(r.fps > 0 for r in results)


def test_the_database_sections_run_on_a_small_month() -> None:
    """`record` and `reports` at a tenth of a day's load: every report answers with rows,
    the receipts are recorded, and the scratch database is dropped afterwards."""
    import sqlalchemy as sa

    from benchmarks.common import ADMIN_URL
    from benchmarks.station_reports import prepare, record_weighings, round_trips, run_reports
    from tests.conftest import unavailable

    admin = sa.create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as err:
        admin.dispose()
        unavailable("PostgreSQL", str(err))
    with prepare(per_day=140) as database:
        name = sa.make_url(database.app.config["SQLALCHEMY_DATABASE_URI"]).database
        times = record_weighings(database, 3, warmup=1)
        trips, statements = round_trips(database, 3)
        timings = run_reports(database, 1)
    assert len(times) == 3
    assert len(trips) == 3
    assert statements > 5
    rows = {name: n for name, (_, _, n) in timings.items()}
    assert rows["inventory (a day)"] >= 3
    assert rows["process (a day, page 1 of 50)"] == 50
    assert rows["disposal (month by month)"] >= 10
    assert rows["process XLSX export (a day)"] >= 140
    with admin.connect() as c:
        names = set(c.scalars(sa.text("SELECT datname FROM pg_database")))
    admin.dispose()
    assert name not in names
