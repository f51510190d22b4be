"""The market's facts of several periods summed in SQL: what `market.summarise` makes from
trade and lot records, without loading them.

A 12-month trend of a large cluster is 100,000 trades; as records they cost seconds to turn into
Python objects, as sums one grouped query per fact (the period chosen by a CASE over the
periods' UTC bounds, as the weighing summary does by day). The medians are the exception: their
durations come back one number per trade, and only for the trades that count. `test_span`
holds these facts equal to `market.summarise` over `sources.load` for the same periods.

Trades are created before they are delivered, picked up, settled or closed (the trade
lifecycle), so a trade counted by one of those times is always among the period's trades.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import as_date, db, local_week
from core.enums import OrgKind
from core.models import Organization
from marketplace.dashboard import sql
from marketplace.dashboard.market import in_order, seconds, spread
from marketplace.dashboard.records import (
    DeliveredGroup,
    MarketFacts,
    Period,
    Spread,
    locator,
    utc_bounds,
)
from marketplace.dashboard.sources import PASSPORT_STEPS, Scope, last_pickups
from marketplace.dispatch.models import PickupRequest, RouteStop
from marketplace.lots.models import Lot
from marketplace.trading.index import reference
from marketplace.trading.models import Dispute, Sale, Trade, TradeStatus
from marketplace.trading.prices import references_for
from passport.models import PassportChainEntry, PassportEvent

Bounds = list[tuple[datetime, datetime]]
FAMILY = sql.family_expr()  # (parent category alias, family code, factor material)
NOT_CANCELLED = Trade.status != TradeStatus.CANCELLED


def reads_of(
    periods: Sequence[Period], scope: Scope, wanted: frozenset[str]
) -> tuple[list[str], list[Callable[[], dict[int, Any]]]]:
    """The facts named in `wanted` as independent reads (for `sql.gather`), with their names;
    `assemble` makes one `MarketFacts` per period of their results (the facts not wanted stay
    empty: a trend of one indicator reads only what it needs)."""
    bounds = [utc_bounds(p) for p in periods]
    names = [name for name in PARTS if name in wanted]
    return names, [partial(PARTS[name], bounds, scope) for name in names]


def assemble(n: int, names: list[str], results: list[dict[int, Any]]) -> list[MarketFacts]:
    """The reads' results as one `MarketFacts` per period."""
    facts: list[dict[str, Any]] = [{} for _ in range(n)]
    for name, by_period in zip(names, results, strict=True):
        for i, values in by_period.items():
            facts[i][name] = values
    return [_facts(f) for f in facts]


def _facts(f: dict[str, Any]) -> MarketFacts:
    gen = f.get("generated", (0, 0, 0))
    sales = f.get("sales", (0, 0))
    priced = f.get("priced", (0, 0, 0, 0))
    indexed = f.get("indexed", (0, 0, 0))
    closed = f.get("closed", (0, 0))
    lead = f.get("lead", (Spread(), 0))
    return MarketFacts(
        delivered=in_order(f.get("delivered", [])),
        generated_lots=gen[0],
        generated_g=gen[1],
        generated_weighed=gen[2],
        lead=lead[0],
        lead_by_delivery=lead[1],
        settle=f.get("settle", Spread()),
        sales_ended=sales[0],
        sales_sold=sales[1],
        priced=priced[0],
        reserved=priced[1],
        reserve_got=priced[2],
        reserve_ask=priced[3],
        indexed=indexed[0],
        index_got=indexed[1],
        index_ask=indexed[2],
        closed=closed[0],
        closed_complete=closed[1],
    )


def _within(col: Any, bounds: Bounds) -> tuple[Any, Any]:
    return col >= min(b[0] for b in bounds), col < max(b[1] for b in bounds)


def _trades(q: Any, scope: Scope, *where: Any, family: bool = False) -> Any:
    """`q` over trades in the scope; joined to their lot and its category when a column or
    the scope's material asks for them (each join costs a hash of the period's trades)."""
    q = q.select_from(Trade).where(
        sql.org_filter([Trade.seller_id, Trade.buyer_id], scope.orgs), *where
    )
    if family or scope.family:
        parent, fam, _ = FAMILY
        q = (
            q.join(Lot, Lot.id == Trade.lot_id)
            .join(Category, Category.id == Lot.category_id)
            .outerjoin(parent, parent.id == Category.parent_id)
        )
        if scope.family:
            q = q.where(fam == scope.family)
    return q


def _lots(scope: Scope) -> list[Any]:
    where = [sql.org_filter([Lot.organization_id], scope.orgs)]
    if scope.family:
        where.append(Lot.family_code == scope.family)
    return where


def _delivered(bounds: Bounds, scope: Scope) -> dict[int, list[DeliveredGroup]]:
    _, fam, mat = FAMILY
    seller, buyer = aliased(Organization), aliased(Organization)
    disputed = sa.select(Dispute.trade_id).distinct().subquery()
    net = sa.func.coalesce(Trade.net_g, Trade.quantity_g)
    keys = (
        sql.period_of(Trade.delivered_at, bounds),
        fam,
        mat,
        sa.func.coalesce(Trade.end_use_kind, "") != "disposal",
        sa.and_(seller.cluster_id.is_not(None), seller.cluster_id == buyer.cluster_id),
        Trade.net_g.is_not(None),
        disputed.c.trade_id.is_not(None),
    )
    value = Trade.price_fen_per_t * net // 1_000_000  # each trade's fen, floored, as `value_fen`
    q = sa.select(*keys, sa.func.count(), sa.func.sum(net), sa.func.sum(value))
    q = (
        _trades(q, scope, NOT_CANCELLED, *_within(Trade.delivered_at, bounds), family=True)
        .join(seller, seller.id == Trade.seller_id)
        .join(buyer, buyer.id == Trade.buyer_id)
        .outerjoin(disputed, disputed.c.trade_id == Trade.id)
        .group_by(*keys)
    )
    out: dict[int, list[DeliveredGroup]] = {}
    for i, f, m, used, inside, weighed, disp, n, g, v in _rows(q):
        if i is not None:
            flags = (bool(used), bool(inside), bool(weighed), bool(disp))
            out.setdefault(int(i), []).append(DeliveredGroup(f, m, *flags, n, int(g), int(v)))
    return out


def _generated(bounds: Bounds, scope: Scope) -> dict[int, tuple[int, int, int]]:
    b = sql.period_of(Lot.listed_at, bounds)
    q = (
        sa.select(
            b,
            sa.func.count(),
            sa.func.sum(sa.func.coalesce(Trade.net_g, Lot.quantity_g)),
            sa.func.count(Trade.net_g),
        )
        .join(Organization, Organization.id == Lot.organization_id)
        .outerjoin(Trade, Trade.lot_id == Lot.id)
        .where(Organization.kind == OrgKind.PRODUCER, *_lots(scope))
        .where(*_within(Lot.listed_at, bounds))
        .group_by(b)
    )
    return {int(i): (n, int(g or 0), w) for i, n, g, w in _rows(q) if i is not None}


def _sales(bounds: Bounds, scope: Scope) -> dict[int, tuple[int, int]]:
    b = sql.period_of(Sale.closed_at, bounds)
    q = (
        sa.select(b, sa.func.count(), sa.func.count(Trade.id))
        .select_from(Sale)
        .outerjoin(Trade, Trade.lot_id == Sale.lot_id)
        .where(*_within(Sale.closed_at, bounds))
        .group_by(b)
    )
    if scope.orgs is not None or scope.family:  # the lot only for its owner and family
        q = q.join(Lot, Lot.id == Sale.lot_id).where(*_lots(scope))
    return {int(i): (n, s) for i, n, s in _rows(q) if i is not None}


def _priced(bounds: Bounds, scope: Scope) -> dict[int, tuple[int, int, int, int]]:
    """Trades made in the periods, and those with a reserve against it."""
    reserved = sa.and_(Sale.reserve_fen.is_not(None), Sale.reserve_fen != 0)
    b = sql.period_of(Trade.created_at, bounds)

    def when_reserved(value: Any) -> Any:
        return sa.func.sum(sa.case((reserved, value), else_=0))

    q = sa.select(
        b,
        sa.func.count(),
        when_reserved(1),
        when_reserved(Trade.price_fen_per_t * Trade.quantity_g),
        when_reserved(Sale.reserve_fen * Trade.quantity_g),
    )
    q = (
        _trades(q, scope, NOT_CANCELLED, *_within(Trade.created_at, bounds))
        .outerjoin(Sale, Sale.lot_id == Trade.lot_id)
        .group_by(b)
    )
    return {
        int(i): (n, int(r or 0), int(got or 0), int(ask or 0))
        for i, n, r, got, ask in _rows(q)
        if i is not None
    }


def _indexed(bounds: Bounds, scope: Scope) -> dict[int, tuple[int, int, int]]:
    """Trades made in the periods against their grade's index: grouped by grade and local week
    (the index a trade is measured against, `index.reference`, depends on its week alone), so
    it is looked up once per group, from the weekly prices worked out in SQL. Read apart from
    the reserve (`_priced`): only this one needs each trade's lot, and the two run at once."""
    b = sql.period_of(Trade.created_at, bounds)
    week = local_week(Trade.created_at)
    grade = Category.code
    q = sa.select(
        b,
        grade,
        week,
        sa.func.count(),
        sa.func.sum(Trade.price_fen_per_t * Trade.quantity_g),
        sa.func.sum(Trade.quantity_g),
    )
    q = _trades(q, scope, NOT_CANCELLED, *_within(Trade.created_at, bounds))
    if not scope.family:  # else joined already (the categories: a few dozen rows)
        q = q.join(Lot, Lot.id == Trade.lot_id).join(Category, Category.id == Lot.category_id)
    rows = _rows(q.group_by(b, grade, week))
    groups = [(int(i), g, as_date(w), *rest) for i, g, w, *rest in rows if i is not None]
    prices = references_for({g[1] for g in groups}, {g[2] for g in groups})
    out: dict[int, tuple[int, int, int]] = {}
    for i, code, made, n, got, grams in groups:
        ref = reference(prices, code, made)
        if ref:
            k, g, a = out.get(i, (0, 0, 0))
            out[i] = (k + n, g + int(got), a + ref * int(grams))
    return out


def _closed(bounds: Bounds, scope: Scope) -> dict[int, tuple[int, int]]:
    """Trades closed in each period, and those whose lot's passport chain holds the four steps
    (`sources.passports_complete`, decided in SQL: one row per period comes back, not one per
    trade with its chain's events)."""
    b = sql.period_of(Trade.closed_at, bounds)
    closed = _trades(
        sa.select(Trade.id, b.label("i"), _passport_name(Trade.lot_id).label("lot")),
        scope,
        *_within(Trade.closed_at, bounds),
    ).subquery()
    step = PassportEvent.biz_step
    has = [sa.func.max(sa.case((_step_is(step, s), 1), else_=0)) == 1 for s in PASSPORT_STEPS]
    per_trade = (
        sa.select(closed.c.i, sa.case((sa.and_(*has), 1), else_=0).label("ok"))
        .select_from(closed)
        .outerjoin(PassportChainEntry, PassportChainEntry.lot == closed.c.lot)
        .outerjoin(PassportEvent, PassportEvent.id == PassportChainEntry.event_pk)
        .group_by(closed.c.id, closed.c.i)
        .subquery()
    )
    q = sa.select(per_trade.c.i, sa.func.count(), sa.func.sum(per_trade.c.ok)).group_by(
        per_trade.c.i
    )
    return {int(i): (n, int(ok or 0)) for i, n, ok in _rows(q) if i is not None}


def _passport_name(lot_id: Any) -> Any:
    """`sources.passport_id` in SQL: HL- and the lot id, zero-padded to six digits (longer ids
    as they are)."""
    if sql.postgres():
        text = sa.cast(lot_id, sa.String)
        padded = sa.case((lot_id < 1_000_000, sa.func.lpad(text, 6, "0")), else_=text)
        return sa.literal("HL-", sa.String) + padded
    return sa.func.printf("HL-%06d", lot_id)


def _step_is(col: Any, step: str) -> Any:
    """The business step's last word (after its last '-' or '/') is `step`, as
    `sources.passports_complete` reads it: `BizStep-shipping`, `…/shipping`, `shipping`."""
    return sa.or_(col == step, col.like(f"%-{step}"), col.like(f"%/{step}"))


def _lead(bounds: Bounds, scope: Scope) -> dict[int, tuple[Spread, int]]:
    picked = last_pickups()
    when = sa.func.coalesce(picked.c.at, Trade.delivered_at)
    # the trades that can count, found by index: delivered or collected in the periods
    lo, hi = _within(Trade.delivered_at, bounds)
    collected = (
        sa.select(PickupRequest.trade_id)
        .join(RouteStop, RouteStop.request_id == PickupRequest.id)
        .where(RouteStop.kind == "pickup", *_within(RouteStop.confirmed_at, bounds))
    )
    candidate = sa.or_(sa.and_(lo, hi), Trade.id.in_(collected))
    by_delivery = sa.func.sum(sa.case((picked.c.at.is_(None), 1), else_=0))

    def query(*cols: Any) -> Any:
        where = (Lot.listed_at.is_not(None), candidate, *_within(when, bounds))
        q = _trades(sa.select(*cols), scope, *where)
        if not scope.family:  # else joined already
            q = q.join(Lot, Lot.id == Trade.lot_id)
        return q.outerjoin(picked, picked.c.trade_id == Trade.id)

    return _spreads(query, when, Lot.listed_at, bounds, by_delivery, picked.c.at.is_(None))


def _settle(bounds: Bounds, scope: Scope) -> dict[int, Spread]:
    def query(*cols: Any) -> Any:
        within = _within(Trade.settled_at, bounds)
        return _trades(sa.select(*cols), scope, Trade.delivered_at.is_not(None), *within)

    spreads = _spreads(query, Trade.settled_at, Trade.delivered_at, bounds)
    return {i: x for i, (x, _) in spreads.items()}


def _spreads(
    query: Any, when: Any, since: Any, bounds: Bounds, tally: Any = None, flag: Any = None
) -> dict[int, tuple[Spread, int]]:
    """The spread of `when − since` (whole seconds) per period, and a count beside it (`tally`
    in SQL, `flag` per row): PostgreSQL works out the median and p90 itself; elsewhere the
    durations come back one per trade and `market.spread` does."""
    if sql.postgres():
        secs = sa.func.trunc(sa.extract("epoch", when - since))
        b = sql.period_of(when, bounds)
        q = query(
            b,
            sa.func.count(),
            sa.func.percentile_cont(0.5).within_group(secs),
            sa.func.percentile_disc(0.9).within_group(secs),
            tally if tally is not None else sa.literal(0),
        ).group_by(b)
        return {
            int(i): (Spread(n, Decimal(str(med)), int(p90)), int(k or 0))
            for i, n, med, p90, k in _rows(q)
            if i is not None
        }
    durations: dict[int, list[int]] = {}
    counted: dict[int, int] = {}
    which = locator(bounds)
    for at, start, marked in _rows(query(when, since, flag if flag is not None else sa.false())):
        i = which(at)
        if i is not None:
            durations.setdefault(i, []).append(seconds(at, start))
            counted[i] = counted.get(i, 0) + bool(marked)
    return {i: (spread(d), counted[i]) for i, d in durations.items()}


# the slowest first: `sql.gather`'s readers take them in this order
PARTS = {
    "lead": _lead,
    "indexed": _indexed,
    "delivered": _delivered,
    "generated": _generated,
    "closed": _closed,
    "sales": _sales,
    "priced": _priced,
    "settle": _settle,
}


def _rows(q: Any) -> Any:
    """Core execution: the rows as tuples, without the ORM's per-row bookkeeping (a third of
    the time of a cluster's 30 days)."""
    return db.session.connection().execute(q)
