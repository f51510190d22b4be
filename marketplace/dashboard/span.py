"""Several periods from one read: the current and previous period of `/indicators`, the months or
weeks of a trend.

Reading each period on its own re-ran every query per period (a 12-month trend twelve times).
Here each source is read once for all the periods, summed per period in SQL (a CASE over the
periods' bounds): the market's facts (`market_sql`), the weighings from their daily summary
(`summary.groups`), the members active in each period. Every period gets the figures that the
records `sources.load` gives it would make (`test_span` holds them equal).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa

from core.db import db
from marketplace.dashboard import factors, market_sql, sql, summary
from marketplace.dashboard.models import WeighingOrgDay
from marketplace.dashboard.records import (
    OrgRec,
    OrgReport,
    Period,
    Records,
    TripRec,
    locator,
    utc_bounds,
)
from marketplace.dashboard.sources import ALL, MARKET, Scope, load_orgs, load_reports
from marketplace.dashboard.trips import load_trips
from marketplace.dispatch.models import RoutePlan
from marketplace.lots.models import Lot
from marketplace.trading.models import Trade


def cover(periods: list[Period]) -> Period:
    """The smallest period holding all of them."""
    return Period(min(p.start for p in periods), max(p.end for p in periods))


def _by_period(trips: list[TripRec], periods: list[Period]) -> dict[int, list[TripRec]]:
    """Each plan to the period its day falls in (periods never overlap)."""
    which = locator([(p.start, p.end) for p in periods], closed=True)
    out: dict[int, list[TripRec]] = {}
    for t in trips:
        i = which(t.day)
        if i is not None:
            out.setdefault(i, []).append(t)
    return out


def _report_in(r: OrgReport, p: Period) -> bool:
    return p.start.replace(day=1) <= r.month <= p.end


def load_many(periods: list[Period], scope: Scope, want: frozenset[str] = ALL) -> list[Records]:
    """One `Records` per period (in order), each source read once over their cover; the
    market's trades and lots arrive summed (`Records.market`), never as rows."""
    span = cover(periods)
    if want & {"weighings", "orgs"}:
        summary.refresh()  # once per read, before the summaries are read
    names, reads = market_sql.reads_of(periods, scope, want & MARKET)
    others: dict[str, Callable[[], Any]] = {}  # after the market's, the slowest first
    if "orgs" in want:
        others["active"] = partial(active_by_period, periods, scope.orgs)
    if "trips" in want:
        others["trips"] = partial(load_trips, span, scope)
    if "reports" in want:
        others["reports"] = partial(load_reports, span, scope)
    if "weighings" in want:
        others["weighings"] = partial(summary.groups, periods, scope.orgs, scope.family)
    if "orgs" in want:
        others["members"] = partial(load_orgs, scope, set())
    # one organisation's reads are small (tens of ms): at once they would only add threads and
    # connections to a busy server (the load benchmark's producers); a wider scope's are not
    results = sql.gather([*reads, *others.values()], at_once=scope.kind != "org")
    facts = results[: len(reads)]
    got = dict(zip(others, results[len(reads) :], strict=True))
    trips, reports = got.get("trips", []), got.get("reports", [])
    weighings, members = got.get("weighings", {}), got.get("members", [])
    active = got.get("active") or [set() for _ in periods]
    market = market_sql.assemble(len(periods), names, facts) if names else [None] * len(periods)
    table = factors.current()
    trips_of = _by_period(trips, periods)
    out = []
    for i, p in enumerate(periods):
        out.append(
            Records(
                p,
                weighings=weighings.get(i, []),
                trips=trips_of.get(i, []),
                reports=[x for x in reports if _report_in(x, p)],
                orgs=[OrgRec(o.id, o.kind, o.id in active[i]) for o in members],
                factors=table,
                market=market[i],
            )
        )
    return out


def active_by_period(periods: list[Period], orgs: frozenset[int] | None) -> list[set[int]]:
    """`sources.active_orgs` of every period in one UNION query (each row tagged with its
    period), instead of one seven-part UNION per period; only the scope's organisations (an
    organisation's own dashboard does not read the whole cluster's activity)."""
    bounds = [utc_bounds(p) for p in periods]
    lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    day = sql.day_period_of(RoutePlan.day, periods)
    wday = sql.day_period_of(WeighingOrgDay.day, periods)

    def part(col: Any, at: Any, *where: Any) -> Any:
        return sa.select(col, sql.period_of(at, bounds)).where(at >= lo, at < hi, *where, mine(col))

    def mine(col: Any) -> Any:
        return sql.org_filter([col], orgs)

    parts = [
        part(Lot.organization_id, Lot.listed_at),
        part(Trade.seller_id, Trade.created_at),
        part(Trade.buyer_id, Trade.created_at),
        part(Trade.buyer_id, Trade.delivered_at),
        sa.select(WeighingOrgDay.org_id, wday).where(
            WeighingOrgDay.day.between(first, last), mine(WeighingOrgDay.org_id)
        ),
        sa.select(RoutePlan.organization_id, day).where(
            RoutePlan.state == "published",
            RoutePlan.day.between(first, last),
            mine(RoutePlan.organization_id),
        ),
    ]
    out: list[set[int]] = [set() for _ in periods]
    for org, i in db.session.execute(sa.union(*parts)):
        if org is not None and i is not None:
            out[int(i)].add(int(org))
    return out
