"""The database edge of the dashboard: load the plain records of a period and a scope.

Reads the market (lots, sales, trades, disputes), the stations (weighings and their deductions,
grouped in SQL so a year of a large cluster stays one query), dispatch (published plans, their
stored KPIs and confirmed stops), passports (each closed lot's event chain) and the monthly
reports. Times become Asia/Shanghai so the formulas compare local calendar days; weights stay
integer grams, money integer fen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import NotFound
from core.models import Organization
from marketplace.dashboard import factors, sql, summary
from marketplace.dashboard.models import OrgMonthReport, WeighingOrgDay
from marketplace.dashboard.records import (
    TZ,
    LotRec,
    OrgRec,
    OrgReport,
    Period,
    Records,
    TradeRec,
    utc_bounds,
)
from marketplace.dashboard.sql import family_expr
from marketplace.dashboard.trips import load_trips
from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop
from marketplace.lots.models import Lot
from marketplace.trading.index import reference
from marketplace.trading.models import Dispute, Sale, Trade
from marketplace.trading.prices import references_for
from passport.models import PassportChainEntry, PassportEvent

SCOPES = ("cluster", "park", "industry", "org", "material")
MEMBER_KINDS = (OrgKind.PRODUCER, OrgKind.RECYCLER, OrgKind.LOGISTICS, OrgKind.STATION)
PASSPORT_STEPS = ("commissioning", "shipping", "receiving", "decommissioning")


@dataclass(frozen=True)
class Scope:
    """Which part of the cluster: `orgs` None means every organisation; `family` a material."""

    kind: str
    id: str | None
    orgs: frozenset[int] | None
    family: str | None = None


def resolve_scope(kind: str, ident: str | None) -> Scope:
    """Turn `scope` and `id` into the set of organisations (404 when the id names nothing)."""
    q = sa.select(Organization.id).where(Organization.kind.in_(MEMBER_KINDS))
    if kind == "cluster":
        if ident:
            q = q.where(Organization.cluster_id == _int(ident))
        else:
            return Scope(kind, None, None)
    elif kind == "park":
        q = q.where(Organization.park_id == _int(ident))
    elif kind == "industry":
        q = q.where(Organization.industry_code == (ident or ""))
    elif kind == "org":
        q = sa.select(Organization.id).where(Organization.id == _int(ident))
    elif kind == "material":
        exists = db.session.scalar(
            sa.select(Category.id).where(
                Category.code == (ident or ""), Category.parent_id.is_(None)
            )
        )
        if exists is None:
            raise NotFound("没有该物料类别：%(id)s", {"id": "unknown material family"}, id=ident)
        return Scope(kind, ident, None, ident)
    orgs = frozenset(db.session.scalars(q))
    if not orgs:
        raise NotFound("范围内没有企业：%(id)s", {"id": "no organisation in this scope"}, id=ident)
    return Scope(kind, ident, orgs)


def _int(ident: str | None) -> int:
    if ident is None or not ident.isdigit() or len(ident) > 9:
        raise NotFound("范围编号无效：%(id)s", {"id": "not a known id"}, id=ident)
    return int(ident)


def local(at: datetime | None) -> datetime | None:
    return at.astimezone(TZ) if at is not None else None


def load_lots(period: Period, scope: Scope, only: list[int] | None = None) -> list[LotRec]:
    """Lots listed or whose sale closed in the period, or only the lots with the ids given."""
    lo, hi = utc_bounds(period)
    when = sa.or_(Lot.listed_at.between(lo, hi), Sale.closed_at.between(lo, hi))
    q = (
        sa.select(
            Lot.id,
            Lot.organization_id,
            Lot.family_code,
            Lot.quantity_g,
            Lot.listed_at,
            Sale.closed_at,
            Trade.id.is_not(None),
            Lot.hazardous,
            Organization.kind,
            Trade.net_g,
        )
        .join(Organization, Organization.id == Lot.organization_id)
        .outerjoin(Sale, Sale.lot_id == Lot.id)
        .outerjoin(Trade, Trade.lot_id == Lot.id)
        .where(
            when if only is None else Lot.id.in_(only),
            sql.org_filter([Lot.organization_id], scope.orgs),
        )
    )
    if scope.family:
        q = q.where(Lot.family_code == scope.family)
    return [
        LotRec(i, o, f, g, local(la), local(sc), bool(s), bool(h), k == OrgKind.PRODUCER, w)
        for i, o, f, g, la, sc, s, h, k, w in db.session.execute(q)
    ]


def load_trades(
    period: Period, scope: Scope, passports: bool = True, only: list[int] | None = None
) -> list[TradeRec]:
    """The trades of the period (made before its end and made, delivered, picked up, settled
    or closed in it), or only the trades with the ids given (a drill-down's page)."""
    lo, hi = utc_bounds(period)
    parent, fam, mat = family_expr()
    seller, buyer = aliased(Organization), aliased(Organization)
    disputed = sa.select(Dispute.id).where(Dispute.trade_id == Trade.id).exists()
    q = (
        sa.select(
            Trade.id,
            Trade.lot_id,
            Trade.seller_id,
            Trade.buyer_id,
            Trade.quantity_g,
            Trade.price_fen_per_t,
            Trade.created_at,
            Trade.status,
            Trade.net_g,
            Trade.delivered_at,
            Trade.settled_at,
            Trade.closed_at,
            Trade.end_use_kind,
            Lot.listed_at,
            fam,
            mat,
            Sale.reserve_fen,
            disputed,
            seller.cluster_id,
            buyer.cluster_id,
            seller.kind,
            Category.code,
        )
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .outerjoin(Sale, Sale.lot_id == Lot.id)
        .join(seller, seller.id == Trade.seller_id)
        .join(buyer, buyer.id == Trade.buyer_id)
        .where(
            trades_of(lo, hi) if only is None else Trade.id.in_(only),
            sql.org_filter([Trade.seller_id, Trade.buyer_id], scope.orgs),
        )
    )
    if scope.family:
        q = q.where(fam == scope.family)
    rows = db.session.execute(q).all()
    pickups = _pickups(q.with_only_columns(Trade.id).subquery())
    closed = [r.lot_id for r in rows if r.closed_at is not None]
    complete = passports_complete(closed) if passports else {}
    made = {r.id: local(r.created_at).date() for r in rows}
    prices = references_for({r.code for r in rows}, set(made.values()))
    out = []
    for r in rows:
        picked, due = pickups.get(r.id, (None, None))
        out.append(
            TradeRec(
                id=r.id,
                lot_id=r.lot_id,
                seller_id=r.seller_id,
                buyer_id=r.buyer_id,
                family=r[14],
                declared_g=r.quantity_g,
                price_fen_per_t=r.price_fen_per_t,
                created_at=local(r.created_at),
                status=str(r.status),
                weighed_g=r.net_g,
                factor_material=r[15],
                reserve_fen_per_t=r.reserve_fen,
                index_fen_per_t=reference(prices, r.code, made[r.id]),
                listed_at=local(r.listed_at),
                picked_up_at=local(picked),
                pickup_due_at=local(due),
                delivered_at=local(r.delivered_at),
                settled_at=local(r.settled_at),
                closed_at=local(r.closed_at),
                end_use_kind=r.end_use_kind,
                disputed=bool(r[17]),
                buyer_in_cluster=r[18] is not None and r[18] == r[19],
                producer_seller=r[20] == OrgKind.PRODUCER,
                passport_complete=complete.get(r.lot_id),
            )
        )
    return out


def trades_of(lo: datetime, hi: datetime) -> Any:
    """A period's trades: made before its end and made, delivered, picked up, settled or closed
    in it."""
    return sa.and_(
        Trade.created_at < hi,
        sa.or_(
            Trade.created_at >= lo,
            Trade.delivered_at >= lo,
            Trade.settled_at >= lo,
            Trade.closed_at >= lo,
            Trade.id.in_(  # picked up in the period, not delivered yet
                sa.select(PickupRequest.trade_id)
                .join(RouteStop, RouteStop.request_id == PickupRequest.id)
                .where(RouteStop.kind == "pickup", RouteStop.confirmed_at >= lo)
            ),
        ),
    )


def last_pickups() -> Any:
    """Each trade's last driver-confirmed pickup (`trade_id`, `at`) as a subquery: a trade
    collected twice (a split load) counts by its last pickup."""
    return (
        sa.select(PickupRequest.trade_id, sa.func.max(RouteStop.confirmed_at).label("at"))
        .join(RouteStop, RouteStop.request_id == PickupRequest.id)
        .where(RouteStop.kind == "pickup", RouteStop.confirmed_at.is_not(None))
        .group_by(PickupRequest.trade_id)
        .subquery()
    )


def _pickups(trade_ids: Any) -> dict[int, tuple[datetime | None, datetime | None]]:
    """trade id → (driver-confirmed pickup time, end of its pickup window), in one query; a
    trade collected twice (a split load) counts by its last pickup, as `market_sql` does."""
    q = (
        sa.select(
            PickupRequest.trade_id,
            RouteStop.confirmed_at,
            PickupRequest.day,
            PickupRequest.window_end_s,
        )
        .join(RouteStop, RouteStop.request_id == PickupRequest.id)
        .where(
            PickupRequest.trade_id.in_(sa.select(trade_ids)),
            RouteStop.kind == "pickup",
            RouteStop.confirmed_at.is_not(None),
        )
        .order_by(RouteStop.confirmed_at)
    )
    out: dict[int, tuple[datetime | None, datetime | None]] = {}
    for tid, at, day, end_s in db.session.execute(q):
        out[tid] = (at, datetime.combine(day, time(), TZ) + timedelta(seconds=end_s))
    return out


def passport_id(lot_id: int) -> str:
    return f"HL-{lot_id:06d}"


def passports_complete(lot_ids: list[int]) -> dict[int, bool]:
    """lot id → its chain has listing, pickup, delivery and end use; absent: no chain at all."""
    steps: dict[str, set[str]] = defaultdict(set)
    for part in sql.parts(lot_ids):
        names = [passport_id(i) for i in part]
        q = (
            sa.select(PassportChainEntry.lot, PassportEvent.biz_step)
            .join(PassportEvent, PassportEvent.id == PassportChainEntry.event_pk)
            .where(sql.one_of(PassportChainEntry.lot, names, sa.String))
        )
        for lot, step in db.session.execute(q):
            steps[lot].add((step or "").rsplit("-", 1)[-1].rsplit("/", 1)[-1])
    out = {}
    for i in lot_ids:
        have = steps.get(passport_id(i))
        out[i] = have is not None and all(s in have for s in PASSPORT_STEPS)
    return out


def load_reports(period: Period, scope: Scope) -> list[OrgReport]:
    r = OrgMonthReport
    q = sa.select(
        r.organization_id,
        r.month,
        r.value_added_fen,
        r.virgin_input_g,
        r.recycled_input_g,
        r.capacity_g,
        r.prior_stock_utilised_g,
    ).where(
        OrgMonthReport.month.between(period.start.replace(day=1), period.end),
        sql.org_filter([OrgMonthReport.organization_id], scope.orgs),
    )
    return [OrgReport(*row) for row in db.session.execute(q)]


def load_orgs(scope: Scope, active: set[int]) -> list[OrgRec]:
    q = sa.select(Organization.id, Organization.kind).where(Organization.kind.in_(MEMBER_KINDS))
    if scope.orgs is not None:
        q = q.where(Organization.id.in_(scope.orgs))
    return [OrgRec(i, str(k), i in active) for i, k in db.session.execute(q)]


# What each indicator reads: the market's facts by name (`MarketFacts`: delivered, generated,
# lead, settle, sales, priced, closed; made from lots and trades) and the other sources.
MARKET = frozenset(
    {"delivered", "generated", "lead", "settle", "sales", "priced", "indexed", "closed"}
)
DELIVERED = frozenset({"delivered"})
NEEDS: dict[str, frozenset[str]] = {
    "utilisation_rate": frozenset({"delivered", "generated", "weighings", "reports"}),
    "generation_intensity": frozenset({"generated", "weighings", "reports"}),
    "substitution_rate": frozenset({"reports"}),
    "recycled_volume": DELIVERED,
    "co2e_avoided_gross": DELIVERED,
    "co2e_avoided_net": frozenset({"delivered", "trips"}),
    "pickup_lead_time": frozenset({"lead"}),
    "clearance_rate": frozenset({"sales"}),
    "price_realisation": frozenset({"priced", "indexed"}),
    "closed_loop_share": DELIVERED,
    "landfill_diversion_rate": DELIVERED,
    "traceability_completeness": frozenset({"closed"}),
    "escrow_settlement": frozenset({"settle", "delivered"}),
    "weighing_anomaly_rate": frozenset({"weighings"}),
    "downgrade_rate": frozenset({"weighings"}),
    "bale_yield": frozenset({"weighings"}),
    "station_utilisation": frozenset({"weighings", "reports"}),
    "participation": frozenset({"orgs"}),
    **{
        k: frozenset({"trips"})
        for k in (
            "logistics_co2e",
            "empty_running_rate",
            "load_factor",
            "consolidation_ratio",
            "on_time_pickup_rate",
        )
    },
}
ALL = MARKET | frozenset({"weighings", "trips", "reports", "orgs"})


def needs(keys: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The sources a set of indicators reads."""
    out: frozenset[str] = frozenset()
    for k in keys:
        out |= NEEDS[k]
    return out


def load(period: Period, scope: Scope, want: frozenset[str] = ALL) -> Records:
    """The records the formulas read for one period and scope; `want` limits the sources read
    (a drill-down or trend of one indicator reads only its own)."""
    if want & {"weighings", "orgs"}:
        summary.refresh()  # once per read, before the summaries are read
    rows = bool(want & MARKET)  # the facts are summed from all of a period's lots and trades
    lots = load_lots(period, scope) if rows else []
    trades = load_trades(period, scope, "closed" in want) if rows else []
    weighings = []
    if "weighings" in want:
        weighings = summary.groups([period], scope.orgs, scope.family).get(0, [])
    trips = load_trips(period, scope) if "trips" in want else []
    reports = load_reports(period, scope) if "reports" in want else []
    orgs = load_orgs(scope, active_orgs(period, scope)) if "orgs" in want else []
    return Records(period, lots, trades, weighings, trips, reports, orgs, factors.current())


def active_orgs(period: Period, scope: Scope) -> set[int]:
    """Members of the scope that listed, traded, weighed or hauled in the period (one UNION)."""
    lo, hi = utc_bounds(period)

    def mine(col: Any) -> Any:
        return sql.org_filter([col], scope.orgs)

    def made(col: Any, at: Any) -> Any:
        return sa.select(col).where(at >= lo, at < hi, mine(col))

    days = WeighingOrgDay.day.between(period.start, period.end)
    parts = [
        made(Lot.organization_id, Lot.listed_at),
        made(Trade.seller_id, Trade.created_at),
        made(Trade.buyer_id, Trade.created_at),
        made(Trade.buyer_id, Trade.delivered_at),
        sa.select(WeighingOrgDay.org_id).where(days, mine(WeighingOrgDay.org_id)),
        sa.select(RoutePlan.organization_id).where(
            RoutePlan.state == "published",
            RoutePlan.day.between(period.start, period.end),
            mine(RoutePlan.organization_id),
        ),
    ]
    return {int(i) for i in db.session.scalars(sa.union(*parts)) if i is not None}


def previous(period: Period) -> Period:
    """The period of the same length just before."""
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


__all__ = ["SCOPES", "Scope", "date", "load", "previous", "resolve_scope"]
