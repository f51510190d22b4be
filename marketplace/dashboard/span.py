"""Several periods from one read: the current and previous period of `/indicators`, the months or
weeks of a trend.

Reading each period on its own re-ran every query per period (a 12-month trend twelve times).
Here each source is read once over the span the periods cover and the rows are handed to each
period by the same predicates the per-period queries use, so every period gets exactly the
records `sources.load` would give it; the weighings come from their daily summary
(`summary.groups`), grouped by period in one query (a CASE over the periods' days).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.db import db
from marketplace.dashboard import factors, summary
from marketplace.dashboard.models import WeighingDay
from marketplace.dashboard.records import (
    TZ,
    LotRec,
    OrgRec,
    OrgReport,
    Period,
    Records,
    TradeRec,
    TripRec,
    utc_bounds,
)
from marketplace.dashboard.sources import (
    ALL,
    Scope,
    load_lots,
    load_orgs,
    load_reports,
    load_trades,
)
from marketplace.dashboard.trips import load_trips
from marketplace.dispatch.models import RoutePlan
from marketplace.lots.models import Lot
from marketplace.trading.models import Trade


def cover(periods: list[Period]) -> Period:
    """The smallest period holding all of them."""
    return Period(min(p.start for p in periods), max(p.end for p in periods))


def _lot_in(lot: LotRec, lo: datetime, hi: datetime) -> bool:
    """`load_lots`' WHERE: listed or sale closed in [lo, hi] (BETWEEN, both ends in)."""
    return any(at is not None and lo <= at <= hi for at in (lot.listed_at, lot.sale_closed_at))


def _trade_in(t: TradeRec, lo: datetime, hi: datetime) -> bool:
    """`load_trades`' WHERE: created before hi and created, delivered, settled or closed from lo."""
    if t.created_at >= hi:
        return False
    stamps = (t.created_at, t.delivered_at, t.settled_at, t.closed_at)
    return any(at is not None and at >= lo for at in stamps)


Bounds = list[tuple[datetime, datetime]]


def _trade_range(t: TradeRec, los: list[datetime], his: list[datetime]) -> range:
    """Candidate periods (sorted positions): hi > created and lo <= the latest stamp."""
    stamps = [at for at in (t.created_at, t.delivered_at, t.settled_at, t.closed_at) if at]
    return range(bisect_right(his, t.created_at), bisect_right(los, max(stamps)))


def _lot_range(x: LotRec, los: list[datetime], his: list[datetime]) -> range:
    """Candidate periods: lo <= a stamp <= hi, for the earliest and latest stamp."""
    stamps = [at for at in (x.listed_at, x.sale_closed_at) if at is not None]
    if not stamps:
        return range(0)
    return range(bisect_left(his, min(stamps)), bisect_right(los, max(stamps)))


def _deal(rows: list[Any], bounds: Bounds, candidates: Any, keep: Any) -> list[list[Any]]:
    """Hand each row to every period whose predicate `keep` holds, testing only the periods
    `candidates` finds by bisection (periods sorted by start, none overlapping): a 12-month
    trend tests each row about once instead of twelve times."""
    order = sorted(range(len(bounds)), key=lambda i: bounds[i][0])
    los = [bounds[i][0] for i in order]
    his = [bounds[i][1] for i in order]
    out: list[list[Any]] = [[] for _ in bounds]
    for row in rows:
        for k in candidates(row, los, his):
            i = order[k]
            if keep(row, *bounds[i]):
                out[i].append(row)
    return out


def _trip_in(t: TripRec, p: Period) -> bool:
    return p.start <= t.day <= p.end


def _report_in(r: OrgReport, p: Period) -> bool:
    return p.start.replace(day=1) <= r.month <= p.end


def load_many(periods: list[Period], scope: Scope, want: frozenset[str] = ALL) -> list[Records]:
    """One `Records` per period (in order), each source read once over their cover."""
    span = cover(periods)
    lots = load_lots(span, scope) if "lots" in want else []
    trades = load_trades(span, scope, "passports" in want) if "trades" in want else []
    trips = load_trips(span, scope) if "trips" in want else []
    reports = load_reports(span, scope) if "reports" in want else []
    weighings = summary.groups(periods, scope.orgs, scope.family) if "weighings" in want else {}
    table = factors.current()
    # the records' times are Asia/Shanghai: bounds in the same zone compare without a UTC
    # offset look-up per comparison (a year's trades make millions of them)
    bounds = [(lo.astimezone(TZ), hi.astimezone(TZ)) for lo, hi in map(utc_bounds, periods)]
    lots_of = _deal(lots, bounds, _lot_range, _lot_in)
    trades_of = _deal(trades, bounds, _trade_range, _trade_in)
    members = load_orgs(scope, set()) if "orgs" in want else []
    active = active_by_period(periods) if members else [set() for _ in periods]
    out = []
    for i, p in enumerate(periods):
        orgs = [OrgRec(o.id, o.kind, o.id in active[i]) for o in members]
        out.append(
            Records(
                p,
                lots_of[i],
                trades_of[i],
                weighings.get(i, []),
                [x for x in trips if _trip_in(x, p)],
                [x for x in reports if _report_in(x, p)],
                orgs,
                table,
            )
        )
    return out


def active_by_period(periods: list[Period]) -> list[set[int]]:
    """`sources.active_orgs` of every period in one UNION query (each row tagged with its
    period), instead of one seven-part UNION per period."""
    bounds = [utc_bounds(p) for p in periods]
    lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    day = sa.case(*((RoutePlan.day.between(p.start, p.end), i) for i, p in enumerate(periods)))
    wday = sa.case(*((WeighingDay.day.between(p.start, p.end), i) for i, p in enumerate(periods)))
    summary.refresh()

    def part(col: Any, at: Any, *where: Any) -> Any:
        return sa.select(col, _bucket(at, bounds)).where(at >= lo, at < hi, *where)

    parts = [
        part(Lot.organization_id, Lot.listed_at),
        part(Trade.seller_id, Trade.created_at),
        part(Trade.buyer_id, Trade.created_at),
        part(Trade.buyer_id, Trade.delivered_at),
        sa.select(WeighingDay.station_id, wday).where(WeighingDay.day.between(first, last)),
        sa.select(WeighingDay.factory_id, wday).where(WeighingDay.day.between(first, last)),
        sa.select(RoutePlan.organization_id, day).where(
            RoutePlan.state == "published", RoutePlan.day.between(first, last)
        ),
    ]
    out: list[set[int]] = [set() for _ in periods]
    for org, i in db.session.execute(sa.union(*parts)):
        if org is not None and i is not None:
            out[int(i)].add(int(org))
    return out


def _bucket(col: Any, bounds: list[tuple[datetime, datetime]]) -> Any:
    return sa.case(*((sa.and_(col >= lo, col < hi), i) for i, (lo, hi) in enumerate(bounds)))
