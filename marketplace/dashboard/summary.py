"""Daily summaries: the station weighings of each local day grouped once, so a cluster's year
of readings is a few thousand summed rows for the indicators and trends.

The pure part is the rule for which days are stale; the rest is SQL. A day is rebuilt whole
(delete its rows, insert the grouped readings of that day), never patched, so a summary row is
by construction the grouped base rows of its day, and a full rebuild gives the same table as any
sequence of incremental refreshes (a test checks both against the base readings).

Which days are stale (`refresh`):
- the days of readings with an id above the watermark, and the days of the readings they
  re-weigh (a 复称 takes the replaced reading out of its own day);
- today and yesterday whenever their count of readings differs from the count at their last
  rebuild: PostgreSQL hands out ids before commit, so a reading committed after a later one has
  an id below the watermark; it is from the last moments, hence today (or yesterday, past
  midnight), and the count shows it.
Readings are never edited (`station.models.flow`), so nothing else can change a day.

It runs before each dashboard read of weighings (cheap when nothing is new: two indexed
queries) and from `flask dashboard refresh`; concurrent refreshes queue on the watermark row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import as_date, db
from core.time import utcnow
from marketplace.dashboard import sql
from marketplace.dashboard.models import (
    ClusterWeighingDay,
    SummaryDay,
    SummaryMark,
    WeighingDay,
    WeighingOrgDay,
)
from marketplace.dashboard.records import TZ, Period, WeighingGroup, utc_bounds
from marketplace.dashboard.sql import family_expr
from station.models.flow import Deduction, Weighing

SOURCE = "weighings"


def runs(days: Iterable[date]) -> list[Period]:
    """Consecutive days as periods (a year rebuilt is one run, not 365 statements)."""
    out: list[Period] = []
    for d in sorted(set(days)):
        if out and out[-1].end + timedelta(days=1) == d:
            out[-1] = Period(out[-1].start, d)
        else:
            out.append(Period(d, d))
    return out


def recent_days(now: datetime) -> tuple[date, date]:
    today = now.astimezone(TZ).date()
    return today - timedelta(days=1), today


def refresh(now: datetime | None = None) -> list[date]:
    """Bring the weighing summary up to date; returns the days rebuilt (none: nothing new)."""
    now = now or utcnow()
    if not _stale(now):
        return []
    mark = _locked_mark(now)
    top = db.session.scalar(sa.select(sa.func.max(Weighing.id))) or 0
    if top < mark.last_id:  # the readings were emptied (a restore, a test): start again
        _wipe()
        mark.last_id = 0
    days = set(_new_days(mark.last_id, top)) | set(_recount_days(now))
    for run in runs(days):
        _rebuild(run)
    mark.last_id, mark.refreshed_at = top, now
    db.session.commit()
    return sorted(days)


def groups(
    periods: Sequence[Period], orgs: frozenset[int] | None, family: str | None = None
) -> dict[int, list[WeighingGroup]]:
    """The weighings of each period (index → groups by station, stage, result and family) for
    the organisations (as station or as delivering factory) and material family asked for;
    the caller refreshes the summary first (once per read)."""
    w: Any = ClusterWeighingDay if orgs is None else WeighingDay
    bucket = sql.day_period_of(w.day, periods)
    keys = (w.stage, w.result, w.family)
    where = [w.day.between(min(p.start for p in periods), max(p.end for p in periods))]
    if orgs is not None:
        where.append(sql.org_filter([w.station_id, w.factory_id], orgs))
    if family:
        where.append(w.family == family)
    q = (
        sa.select(bucket, *keys, *(sa.func.sum(c) for c in (w.count, w.net_g, w.deduction_g)))
        .where(*where)
        .group_by(bucket, *keys)
    )
    out: dict[int, list[WeighingGroup]] = {}
    for i, stage, result, fam, n, g, d in db.session.execute(q):
        if i is None:  # between two periods that do not touch (never for adjacent ones)
            continue
        out.setdefault(int(i), []).append(
            WeighingGroup(None, stage, result, fam, int(n), int(g or 0), int(d or 0))
        )
    return out


def rebuild_all() -> int:
    """Throw the summary away and build it again from every reading (the CLI's `--all`)."""
    _wipe()
    _locked_mark(utcnow()).last_id = 0
    db.session.flush()
    return len(refresh())


def _locked_mark(now: datetime) -> SummaryMark:
    """The watermark row, locked for this transaction (made first if missing: two first
    refreshes at once insert it once, the second waits and takes it as it is)."""
    insert = postgresql.insert if sql.postgres() else sqlite.insert
    db.session.execute(
        insert(SummaryMark)
        .values(source=SOURCE, last_id=0, refreshed_at=now)
        .on_conflict_do_nothing()
    )
    q = sa.select(SummaryMark).where(SummaryMark.source == SOURCE).with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one()


def _wipe(run: Period | None = None) -> None:
    """Delete the summary rows (of the run's days only, when given)."""
    for table in (WeighingDay, ClusterWeighingDay, WeighingOrgDay, SummaryDay):
        q = sa.delete(table)
        if run is not None:
            q = q.where(table.day.between(run.start, run.end))
        if table is SummaryDay:
            q = q.where(SummaryDay.source == SOURCE)
        db.session.execute(q)


def _stale(now: datetime) -> bool:
    """Anything to do? Without a lock: the common answer is no, and it must stay cheap."""
    last = db.session.scalar(sa.select(SummaryMark.last_id).where(SummaryMark.source == SOURCE))
    top = db.session.scalar(sa.select(sa.func.max(Weighing.id))) or 0
    if last is None:
        return top > 0
    return top != last or bool(_recount_days(now))


def _new_days(last_id: int, top: int) -> set[date]:
    if top <= last_id:
        return set()
    new = sa.select(Weighing.id).where(Weighing.id > last_id, Weighing.id <= top)
    replaced = aliased(Weighing)
    q = sa.union(
        sa.select(sql.local_day(Weighing.created_at)).where(Weighing.id.in_(new)),
        sa.select(sql.local_day(replaced.created_at)).where(
            replaced.id.in_(
                sa.select(Weighing.replaces_id).where(
                    Weighing.id.in_(new), Weighing.replaces_id.is_not(None)
                )
            )
        ),
    )
    return {as_date(d) for d in db.session.scalars(q)}


def _recount_days(now: datetime) -> list[date]:
    """Today and yesterday where the readings counted now differ from the last rebuild's."""
    days = recent_days(now)
    lo, _ = utc_bounds(Period(days[0], days[0]))
    _, hi = utc_bounds(Period(days[1], days[1]))
    day = sql.local_day(Weighing.created_at)
    counted = dict(
        db.session.execute(
            sa.select(day, sa.func.count())
            .where(Weighing.created_at >= lo, Weighing.created_at < hi)
            .group_by(day)
        ).all()
    )
    counted = {as_date(k): v for k, v in counted.items()}
    stored = dict(
        db.session.execute(
            sa.select(SummaryDay.day, SummaryDay.base_count).where(
                SummaryDay.source == SOURCE, SummaryDay.day.in_(days)
            )
        ).all()
    )
    return [d for d in days if counted.get(d, 0) != stored.get(d, 0)]


def _rebuild(run: Period) -> None:
    """Replace the summary rows of consecutive days with the grouped readings of those days."""
    lo, hi = utc_bounds(run)
    _wipe(run)
    in_run = (Weighing.created_at >= lo, Weighing.created_at < hi)
    day = sql.local_day(Weighing.created_at)
    parent, fam, _ = family_expr()
    famc = sa.func.coalesce(fam, "")
    again = aliased(Weighing)
    replaced = sa.select(again.id).where(again.replaces_id == Weighing.id).exists()
    ded = (
        sa.select(sa.func.coalesce(sa.func.sum(Deduction.grams), 0))
        .where(Deduction.weighing_id == Weighing.id)
        .scalar_subquery()
    )
    keys = (day, Weighing.station_id, Weighing.factory_id, Weighing.stage, Weighing.result, famc)
    grouped = (
        sa.select(
            *keys,
            sa.func.count(),
            sa.func.sum(Weighing.net_g),
            sa.func.sum(ded),
        )
        .select_from(Weighing)
        .outerjoin(Category, Category.id == Weighing.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(*in_run, Weighing.total.is_(False), ~replaced)
        .group_by(*keys)
    )
    cols = ("day", "station_id", "factory_id", "stage", "result", "family", "count")
    cols += ("net_g", "deduction_g")
    db.session.execute(
        sa.insert(WeighingDay).from_select([getattr(WeighingDay, c) for c in cols], grouped)
    )
    w = WeighingDay
    ckeys = (w.day, w.stage, w.result, w.family)
    sums = (sa.func.sum(w.count), sa.func.sum(w.net_g), sa.func.sum(w.deduction_g))
    whole = sa.select(*ckeys, *sums).where(w.day.between(run.start, run.end)).group_by(*ckeys)
    ccols = [getattr(ClusterWeighingDay, c) for c in ("day", "stage", "result", "family")]
    ccols += [ClusterWeighingDay.count, ClusterWeighingDay.net_g, ClusterWeighingDay.deduction_g]
    db.session.execute(sa.insert(ClusterWeighingDay).from_select(ccols, whole))
    in_days = w.day.between(run.start, run.end)
    orgs = sa.union(
        sa.select(w.day, w.station_id).where(in_days),
        sa.select(w.day, w.factory_id).where(in_days, w.factory_id.is_not(None)),
    )
    db.session.execute(
        sa.insert(WeighingOrgDay).from_select([WeighingOrgDay.day, WeighingOrgDay.org_id], orgs)
    )
    counts = sa.select(sa.literal(SOURCE), day, sa.func.count()).where(*in_run).group_by(day)
    db.session.execute(
        sa.insert(SummaryDay).from_select(
            [SummaryDay.source, SummaryDay.day, SummaryDay.base_count], counts
        )
    )
