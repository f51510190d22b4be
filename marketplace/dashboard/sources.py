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
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import NotFound
from core.models import Organization
from marketplace.dashboard import factors
from marketplace.dashboard.models import OrgMonthReport
from marketplace.dashboard.records import (
    LotRec,
    OrgRec,
    OrgReport,
    Period,
    Records,
    TradeRec,
    TripRec,
    WeighingGroup,
)
from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop
from marketplace.lots.models import Lot
from marketplace.trading.models import Dispute, Sale, Trade
from passport.models import PassportChainEntry, PassportEvent
from station.models.flow import Deduction, Weighing

TZ = ZoneInfo("Asia/Shanghai")
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


def utc_bounds(period: Period) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00) in Asia/Shanghai, as UTC."""
    lo = datetime.combine(period.start, time(), TZ).astimezone(UTC)
    hi = datetime.combine(period.end + timedelta(days=1), time(), TZ).astimezone(UTC)
    return lo, hi


def local(at: datetime | None) -> datetime | None:
    return at.astimezone(TZ) if at is not None else None


def family_expr() -> tuple[Any, Any, Any]:
    """(family code, factor material) of a category: its own, else its parent's."""
    parent = aliased(Category)
    fam = sa.func.coalesce(parent.code, Category.code)
    mat = sa.func.coalesce(Category.factor_material, parent.factor_material)
    return parent, fam, mat


def _org_filter(cols: list[Any], scope: Scope) -> Any:
    if scope.orgs is None:
        return sa.true()
    return sa.or_(*(c.in_(scope.orgs) for c in cols))


def load_lots(period: Period, scope: Scope) -> list[LotRec]:
    lo, hi = utc_bounds(period)
    sold = sa.select(Trade.id).where(Trade.lot_id == Lot.id).exists()
    q = (
        sa.select(
            Lot.id,
            Lot.organization_id,
            Lot.family_code,
            Lot.quantity_g,
            Lot.listed_at,
            Sale.closed_at,
            sold,
            Lot.hazardous,
            Organization.kind,
        )
        .join(Organization, Organization.id == Lot.organization_id)
        .outerjoin(Sale, Sale.lot_id == Lot.id)
        .where(
            sa.or_(Lot.listed_at.between(lo, hi), Sale.closed_at.between(lo, hi)),
            _org_filter([Lot.organization_id], scope),
        )
    )
    if scope.family:
        q = q.where(Lot.family_code == scope.family)
    return [
        LotRec(i, o, f, g, local(la), local(sc), bool(s), bool(h), k == OrgKind.PRODUCER)
        for i, o, f, g, la, sc, s, h, k in db.session.execute(q)
    ]


def load_trades(period: Period, scope: Scope) -> list[TradeRec]:
    lo, hi = utc_bounds(period)
    parent, fam, mat = family_expr()
    seller, buyer = aliased(Organization), aliased(Organization)
    disputed = sa.select(Dispute.id).where(Dispute.trade_id == Trade.id).exists()
    q = (
        sa.select(
            Trade,
            Lot.listed_at,
            fam,
            mat,
            Sale.reserve_fen,
            disputed,
            seller.cluster_id,
            buyer.cluster_id,
            seller.kind,
        )
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .outerjoin(Sale, Sale.lot_id == Lot.id)
        .join(seller, seller.id == Trade.seller_id)
        .join(buyer, buyer.id == Trade.buyer_id)
        .where(
            Trade.created_at < hi,
            sa.or_(
                Trade.created_at >= lo,
                Trade.delivered_at >= lo,
                Trade.settled_at >= lo,
                Trade.closed_at >= lo,
            ),
            _org_filter([Trade.seller_id, Trade.buyer_id], scope),
        )
    )
    if scope.family:
        q = q.where(fam == scope.family)
    rows = db.session.execute(q).all()
    ids = [r[0].id for r in rows]
    pickups = _pickups(ids)
    complete = _passports([r[0].lot_id for r in rows if r[0].closed_at is not None])
    out = []
    for t, listed, family, material, reserve, disp, s_cl, b_cl, s_kind in rows:
        picked, due = pickups.get(t.id, (None, None))
        out.append(
            TradeRec(
                id=t.id,
                lot_id=t.lot_id,
                seller_id=t.seller_id,
                buyer_id=t.buyer_id,
                family=family,
                declared_g=t.quantity_g,
                price_fen_per_t=t.price_fen_per_t,
                created_at=local(t.created_at),
                status=str(t.status),
                weighed_g=t.net_g,
                factor_material=material,
                reserve_fen_per_t=reserve,
                listed_at=local(listed),
                picked_up_at=local(picked),
                pickup_due_at=local(due),
                delivered_at=local(t.delivered_at),
                settled_at=local(t.settled_at),
                closed_at=local(t.closed_at),
                end_use_kind=t.end_use_kind,
                disputed=bool(disp),
                buyer_in_cluster=s_cl is not None and s_cl == b_cl,
                producer_seller=s_kind == OrgKind.PRODUCER,
                passport_complete=complete.get(t.lot_id),
            )
        )
    return out


def _chunks(ids: list[int], n: int = 900) -> list[list[int]]:
    return [ids[i : i + n] for i in range(0, len(ids), n)]


def _pickups(trade_ids: list[int]) -> dict[int, tuple[datetime | None, datetime | None]]:
    """trade id → (driver-confirmed pickup time, end of its pickup window)."""
    out: dict[int, tuple[datetime | None, datetime | None]] = {}
    for part in _chunks(trade_ids):
        q = (
            sa.select(
                PickupRequest.trade_id,
                RouteStop.confirmed_at,
                PickupRequest.day,
                PickupRequest.window_end_s,
            )
            .join(RouteStop, RouteStop.request_id == PickupRequest.id)
            .where(
                PickupRequest.trade_id.in_(part),
                RouteStop.kind == "pickup",
                RouteStop.confirmed_at.is_not(None),
            )
        )
        for tid, at, day, end_s in db.session.execute(q):
            due = datetime.combine(day, time(), TZ) + timedelta(seconds=end_s)
            out[tid] = (at, due)
    return out


def passport_id(lot_id: int) -> str:
    return f"HL-{lot_id:06d}"


def _passports(lot_ids: list[int]) -> dict[int, bool]:
    """lot id → its chain has listing, pickup, delivery and end use; absent: no chain at all."""
    steps: dict[str, set[str]] = defaultdict(set)
    for part in _chunks(lot_ids):
        q = (
            sa.select(PassportChainEntry.lot, PassportEvent.biz_step)
            .join(PassportEvent, PassportEvent.id == PassportChainEntry.event_pk)
            .where(PassportChainEntry.lot.in_([passport_id(i) for i in part]))
        )
        for lot, step in db.session.execute(q):
            steps[lot].add((step or "").rsplit("-", 1)[-1].rsplit("/", 1)[-1])
    out = {}
    for i in lot_ids:
        have = steps.get(passport_id(i))
        out[i] = have is not None and all(s in have for s in PASSPORT_STEPS)
    return out


def load_weighings(period: Period, scope: Scope) -> list[WeighingGroup]:
    lo, hi = utc_bounds(period)
    parent, fam, _ = family_expr()
    replaced = sa.select(Weighing.replaces_id).where(Weighing.replaces_id.is_not(None))
    ded = (
        sa.select(Deduction.weighing_id, sa.func.sum(Deduction.grams).label("g"))
        .group_by(Deduction.weighing_id)
        .subquery()
    )
    famc = sa.func.coalesce(fam, "")
    q = (
        sa.select(
            Weighing.station_id,
            Weighing.stage,
            Weighing.result,
            famc,
            Weighing.factory_id,
            sa.func.count(),
            sa.func.sum(Weighing.net_g),
            sa.func.coalesce(sa.func.sum(ded.c.g), 0),
        )
        .outerjoin(Category, Category.id == Weighing.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .outerjoin(ded, ded.c.weighing_id == Weighing.id)
        .where(
            Weighing.created_at >= lo,
            Weighing.created_at < hi,
            Weighing.total.is_(False),
            Weighing.id.not_in(replaced),
            _org_filter([Weighing.station_id, Weighing.factory_id], scope),
        )
        .group_by(Weighing.station_id, Weighing.stage, Weighing.result, famc, Weighing.factory_id)
    )
    if scope.family:
        q = q.where(fam == scope.family)
    return [
        WeighingGroup(s, str(stage), res, f, int(n), int(g or 0), int(d or 0), fac)
        for s, stage, res, f, fac, n, g, d in db.session.execute(q)
    ]


def load_trips(period: Period, scope: Scope) -> list[TripRec]:
    if scope.family:  # routes carry mixed loads: not attributable to one material
        return []
    q = sa.select(RoutePlan).where(
        RoutePlan.state == "published", RoutePlan.day.between(period.start, period.end)
    )
    if scope.orgs is not None:
        served = (
            sa.select(RouteStop.plan_id)
            .join(PickupRequest, PickupRequest.id == RouteStop.request_id)
            .where(PickupRequest.organization_id.in_(scope.orgs))
        )
        q = q.where(sa.or_(RoutePlan.organization_id.in_(scope.orgs), RoutePlan.id.in_(served)))
    plans = db.session.scalars(q).all()
    stops: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for part in _chunks([p.id for p in plans]):
        sq = (
            sa.select(
                RouteStop.plan_id,
                RouteStop.confirmed_at,
                PickupRequest.day,
                PickupRequest.window_end_s,
            )
            .join(PickupRequest, PickupRequest.id == RouteStop.request_id)
            .where(RouteStop.plan_id.in_(part), RouteStop.kind == "pickup")
        )
        for row in db.session.execute(sq):
            stops[row[0]].append(row[1:])
    out = []
    for p in plans:
        k = (p.kpis or {}).get("plan", {})
        km = Decimal(str(k.get("km", 0)))
        mine = stops.get(p.id, [])
        confirmed = [s for s in mine if s[0] is not None]
        on_time = sum(
            1
            for at, day, end_s in confirmed
            if at <= datetime.combine(day, time(), TZ) + timedelta(seconds=end_s)
        )
        out.append(
            TripRec(
                p.id,
                p.organization_id,
                p.day,
                km,
                km * Decimal(str(k.get("empty_share", 0))),
                Decimal(str(k.get("load_factor", 0))),
                int(k.get("vehicles", 0)),
                len(mine),
                on_time,
                len(confirmed),
            )
        )
    return out


def load_reports(period: Period, scope: Scope) -> list[OrgReport]:
    q = sa.select(OrgMonthReport).where(
        OrgMonthReport.month.between(period.start.replace(day=1), period.end),
        _org_filter([OrgMonthReport.organization_id], scope),
    )
    return [
        OrgReport(
            r.organization_id,
            r.month,
            r.value_added_fen,
            r.virgin_input_g,
            r.recycled_input_g,
            r.capacity_g,
            r.prior_stock_utilised_g,
        )
        for r in db.session.scalars(q)
    ]


def load_orgs(scope: Scope, active: set[int]) -> list[OrgRec]:
    q = sa.select(Organization.id, Organization.kind).where(Organization.kind.in_(MEMBER_KINDS))
    if scope.orgs is not None:
        q = q.where(Organization.id.in_(scope.orgs))
    return [OrgRec(i, str(k), i in active) for i, k in db.session.execute(q)]


def load(period: Period, scope: Scope) -> Records:
    """Everything the 23 formulas read for one period and scope."""
    lots = load_lots(period, scope)
    trades = load_trades(period, scope)
    weighings = load_weighings(period, scope)
    trips = load_trips(period, scope)
    active = {x.org_id for x in lots} | {t.seller_id for t in trades}
    active |= {t.buyer_id for t in trades} | {w.station_id for w in weighings}
    active |= {w.factory_id for w in weighings if w.factory_id} | {t.org_id for t in trips}
    return Records(
        period,
        lots,
        trades,
        weighings,
        trips,
        load_reports(period, scope),
        load_orgs(scope, active),
        factors.current(),
    )


def previous(period: Period) -> Period:
    """The period of the same length just before."""
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


__all__ = ["SCOPES", "Scope", "date", "load", "previous", "resolve_scope"]
