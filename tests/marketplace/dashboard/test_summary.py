"""The daily weighing summary on both databases: incremental refreshes give exactly what a
rebuild from the readings gives, re-weighs leave their own day, a commit that arrives after a
later id is not missed, and an emptied table starts again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import Result

from core.catalogue import Category
from core.db import as_date, db, local_week
from core.enums import OrgKind
from marketplace.dashboard import sql, summary
from marketplace.dashboard.models import (
    ClusterWeighingDay,
    SummaryMark,
    WeighingDay,
    WeighingOrgDay,
)
from marketplace.dashboard.records import TZ
from station.models.flow import Deduction, Stage, Weighing
from tests.factories import make_org


def _rows() -> list[tuple]:
    q = sa.select(
        WeighingDay.day,
        WeighingDay.station_id,
        WeighingDay.factory_id,
        WeighingDay.stage,
        WeighingDay.result,
        WeighingDay.family,
        WeighingDay.count,
        WeighingDay.net_g,
        WeighingDay.deduction_g,
    )
    return sorted((tuple(r) for r in db.session.execute(q)), key=repr)


def _cluster_rows() -> list[tuple]:
    c = ClusterWeighingDay
    q = sa.select(c.day, c.stage, c.result, c.family, c.count, c.net_g, c.deduction_g)
    return sorted((tuple(r) for r in db.session.execute(q)), key=repr)


@pytest.fixture
def plant(app, catalogue):
    station = make_org(OrgKind.STATION)
    factory = make_org(OrgKind.PRODUCER)
    paper = db.session.scalar(sa.select(Category).where(Category.code == "PA"))
    db.session.commit()
    return station, factory, paper


def _weigh(plant, at, net, result="normal", stage=Stage.RECEIVE, **kw) -> Weighing:
    station, factory, paper = plant
    w = Weighing(
        station_id=station.id,
        factory_id=factory.id if stage == Stage.RECEIVE else None,
        category_id=paper.id,
        stage=stage,
        gross_g=net + 100_000,
        net_g=net,
        result=result,
        created_at=at,
        **kw,
    )
    db.session.add(w)
    db.session.flush()
    return w


def test_local_day_in_sql_is_the_shanghai_day(app) -> None:
    """Around local midnight (16:00 UTC) the SQL day and zoneinfo's agree."""
    for at in (
        datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 16, 0, 1, tzinfo=UTC),
        datetime(2000, 1, 1, 0, 0, tzinfo=UTC),
    ):
        got = db.session.scalar(
            sa.select(sql.local_day(sa.literal(at.replace(tzinfo=None), sa.DateTime)))
        )
        assert as_date(got) == at.astimezone(TZ).date(), at


def test_local_week_in_sql_is_the_shanghai_iso_week(app) -> None:
    """Sunday 23:59:59 and Monday 00:00 in Shanghai (Sunday 16:00 UTC) fall in their own weeks."""
    from marketplace.trading.index import week_of

    for at in (
        datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC),  # Sunday 23:59:59 local
        datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC),  # Monday 00:00 local
        datetime(2026, 3, 4, 3, 0, 0, tzinfo=UTC),  # a Wednesday
        datetime(2026, 12, 27, 16, 0, 1, tzinfo=UTC),  # Monday 2026-12-28, a year's last week
    ):
        got = db.session.scalar(
            sa.select(local_week(sa.literal(at.replace(tzinfo=None), sa.DateTime)))
        )
        assert as_date(got) == week_of(at.astimezone(TZ).date()), at


def test_incremental_refreshes_equal_a_rebuild_and_the_readings(app, plant) -> None:
    station, factory, _ = plant
    day1 = datetime(2026, 3, 5, 1, tzinfo=UTC)  # 03-05 09:00 local
    first = _weigh(plant, day1, 2_000_000, "anomaly")
    _weigh(plant, day1 + timedelta(hours=1), 1_000_000)
    db.session.add(Deduction(weighing_id=first.id, kind="impurity", grams=50_000, reason="杂"))
    _weigh(plant, day1, 900_000, stage=Stage.SORT)
    _weigh(plant, day1, 3_000_000, total=True)  # a stage total is no reading: never summed
    db.session.commit()
    assert summary.refresh() == [date(2026, 3, 5)]
    assert summary.refresh() == []  # nothing new: nothing rebuilt
    receive = ("receive", "anomaly", "PA", 1, 2_000_000, 50_000)
    assert _rows() == sorted(
        [
            (date(2026, 3, 5), station.id, factory.id, *receive),
            (date(2026, 3, 5), station.id, factory.id, "receive", "normal", "PA", 1, 1_000_000, 0),
            (date(2026, 3, 5), station.id, None, "sort", "normal", "PA", 1, 900_000, 0),
        ],
        key=repr,
    )
    # 03-20 (local; 16:30 UTC on 03-19): a re-weigh of the 03-05 anomaly, and a new reading
    later = datetime(2026, 3, 19, 16, 30, tzinfo=UTC)
    _weigh(plant, later, 1_900_000, replaces_id=first.id)
    _weigh(plant, later, 400_000, "anomaly")
    db.session.commit()
    assert summary.refresh() == [date(2026, 3, 5), date(2026, 3, 20)]
    incremental = _rows()
    assert [r for r in incremental if r[0] == date(2026, 3, 5) and r[4] == "anomaly"] == []
    day20 = [r[4:] for r in incremental if r[0] == date(2026, 3, 20)]
    assert sorted(day20) == [("anomaly", "PA", 1, 400_000, 0), ("normal", "PA", 1, 1_900_000, 0)]
    whole = _cluster_rows()
    org_days = set(db.session.execute(sa.select(WeighingOrgDay.day, WeighingOrgDay.org_id)))
    assert org_days == {(r[0], r[1]) for r in incremental} | {
        (r[0], r[2]) for r in incremental if r[2] is not None
    }
    assert summary.rebuild_all() == 2
    assert _rows() == incremental
    assert _cluster_rows() == whole
    summed: dict[tuple, list[int]] = {}
    for day, _s, _f, stage, result, family, n, g, d in incremental:
        acc = summed.setdefault((day, stage, result, family), [0, 0, 0])
        for i, v in enumerate((n, g, d)):
            acc[i] += v
    assert whole == sorted(((*k, *v) for k, v in summed.items()), key=repr)


def test_a_commit_behind_the_watermark_is_counted(app, plant) -> None:
    """PostgreSQL gives ids before commit: a reading committed after a later one sits below
    the watermark. Today's count shows it (here: an id chosen below the watermark)."""
    now = datetime.now(UTC)
    a = _weigh(plant, now - timedelta(minutes=2), 1_000_000, id=900_001)
    _weigh(plant, now - timedelta(minutes=1), 1_000_000, id=900_003)
    db.session.commit()
    summary.refresh(now)
    assert db.session.get(SummaryMark, summary.SOURCE).last_id == 900_003
    _weigh(plant, now - timedelta(minutes=1), 700_000, id=900_002)
    db.session.commit()
    assert summary.refresh(now) == [now.astimezone(TZ).date()]
    assert sum(r[7] for r in _rows()) == 2_700_000
    assert a.id == 900_001


def test_emptied_readings_start_the_summary_again(app, plant) -> None:
    from tests.conftest import empty_database

    _weigh(plant, datetime(2026, 3, 5, 1, tzinfo=UTC), 1_000_000, id=800_010)
    db.session.commit()
    summary.refresh()
    db.session.execute(sa.delete(Weighing))  # the summary's own tables are kept
    db.session.commit()
    _weigh(plant, datetime(2026, 3, 6, 1, tzinfo=UTC), 500_000, id=10)
    db.session.commit()
    summary.refresh()
    assert [(r[0], r[7]) for r in _rows()] == [(date(2026, 3, 6), 500_000)]
    with db.engine.begin() as conn:
        empty_database(conn)


def test_cli_refresh(app, plant) -> None:
    _weigh(plant, datetime(2026, 3, 5, 1, tzinfo=UTC), 1_000_000)
    db.session.commit()
    result: Result = app.test_cli_runner().invoke(args=["dashboard", "refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("weighing summary: 1 days rebuilt")
    assert len(_rows()) == 1
    result = app.test_cli_runner().invoke(args=["dashboard", "refresh", "--all"])
    assert result.exit_code == 0, result.output
    assert len(_rows()) == 1


def test_two_first_refreshes_at_once_make_one_mark(app, plant) -> None:
    """Two refreshes that both find no watermark row: the second waits for the first's insert
    to commit and takes the row as it is (a duplicate key was a 500 on the first morning)."""
    import threading

    _weigh(plant, datetime(2026, 3, 5, 1, tzinfo=UTC), 1_000_000)
    db.session.commit()
    now = datetime.now(UTC)
    summary._locked_mark(now)  # this transaction inserts the row and holds it, uncommitted
    errors: list[BaseException] = []

    def second() -> None:
        with app.app_context():
            try:
                summary.refresh(now)
            except BaseException as err:
                errors.append(err)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waiting on the first transaction's row
    db.session.commit()
    thread.join(10)
    assert not thread.is_alive()
    assert errors == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SummaryMark)) == 1
    assert _rows()  # the second one rebuilt the day
