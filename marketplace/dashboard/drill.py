"""The records behind a figure: the rows its `Drill` names, as plain dicts for JSON and files.

Trips, reports and organisations come from the records the formulas read; trades, lots and
weighings are summed for the formulas, so their rows are found by the same conditions in SQL,
one page at a time (a cluster's month is thousands of trades; a page is fifty).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.catalogue import Category
from core.db import db
from core.i18n import N_
from marketplace.dashboard import sources, sql
from marketplace.dashboard.figures import Drill
from marketplace.dashboard.records import Period, Records, utc_bounds
from marketplace.lots.models import Lot
from marketplace.trading.models import Sale, Trade, TradeStatus
from station.models.flow import Deduction, Weighing
from station.reports import Column

COLUMNS: dict[str, list[Column]] = {
    "trades": [
        Column("id", N_("交易编号")),
        Column("lot_id", N_("批次编号")),
        Column("family", N_("物料类别")),
        Column("seller_id", N_("卖方")),
        Column("buyer_id", N_("买方")),
        Column("declared_g", N_("申报重量(克)")),
        Column("weighed_g", N_("称重净重(克)")),
        Column("price_fen_per_t", N_("成交价(分/吨)")),
        Column("status", N_("状态")),
        Column("delivered_at", N_("到货时间")),
        Column("end_use_kind", N_("最终用途")),
    ],
    "lots": [
        Column("id", N_("批次编号")),
        Column("org_id", N_("企业")),
        Column("family", N_("物料类别")),
        Column("declared_g", N_("申报重量(克)")),
        Column("listed_at", N_("挂牌时间")),
        Column("sale_closed_at", N_("截止时间")),
        Column("sold", N_("已成交")),
    ],
    "weighings": [
        Column("id", N_("称重编号")),
        Column("station_id", N_("回收站")),
        Column("stage", N_("环节")),
        Column("factory_id", N_("企业")),
        Column("net_g", N_("净重(克)")),
        Column("deduction_g", N_("扣减(克)")),
        Column("result", N_("结果")),
        Column("created_at", N_("称重时间")),
    ],
    "trips": [
        Column("plan_id", N_("调度计划")),
        Column("org_id", N_("物流企业")),
        Column("day", N_("日期")),
        Column("km", N_("里程(km)")),
        Column("empty_km", N_("空驶里程(km)")),
        Column("load_factor", N_("装载率")),
        Column("vehicles", N_("车辆数")),
        Column("pickups", N_("提货点数")),
    ],
    "reports": [
        Column("org_id", N_("企业")),
        Column("month", N_("月份")),
        Column("value_added_fen", N_("工业增加值(分)")),
        Column("virgin_input_g", N_("原生料投入(克)")),
        Column("recycled_input_g", N_("再生料投入(克)")),
        Column("capacity_g", N_("产能(克)")),
    ],
    "orgs": [
        Column("id", N_("企业")),
        Column("kind", N_("类型")),
        Column("active", N_("本期活跃")),
    ],
}


def as_row(record: Any) -> dict[str, Any]:
    """A record as a flat dict (shallow: cheaper than `dataclasses.asdict` on a page)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def rows(r: Records, drill: Drill) -> list[Any]:
    """Every record behind a figure of trips, reports or organisations (few: paged here);
    trades, lots and weighings are paged in SQL (`market_rows`, `weighing_rows`)."""
    f = drill.filters
    if drill.kind == "trips":
        return list(r.trips)
    if drill.kind == "reports":
        return list(r.reports)
    if drill.kind == "orgs":
        return [o for o in r.orgs if not f.get("active") or o.active]
    raise ValueError(f"{drill.kind} page in SQL")


def _trade_ids(period: Period, scope: sources.Scope, f: dict[str, Any]) -> tuple[Any, Any]:
    """The ids of the trades behind a figure (the filters `market.summarise` counts by), and
    the time they are listed by, newest first."""
    lo, hi = utc_bounds(period)
    q = sa.select(Trade.id).where(sql.org_filter([Trade.seller_id, Trade.buyer_id], scope.orgs))
    if scope.family:
        parent, fam, _ = sql.family_expr()
        q = (
            q.join(Lot, Lot.id == Trade.lot_id)
            .join(Category, Category.id == Lot.category_id)
            .outerjoin(parent, parent.id == Category.parent_id)
            .where(fam == scope.family)
        )
    if f.get("delivered"):
        order = Trade.delivered_at
        q = q.where(Trade.status != TradeStatus.CANCELLED)
        if not f.get("all"):
            q = q.where(sa.func.coalesce(Trade.end_use_kind, "") != "disposal")
    elif f.get("picked_up"):
        last = sources.last_pickups()
        order = sa.func.coalesce(last.c.at, Trade.delivered_at)
        q = q.outerjoin(last, last.c.trade_id == Trade.id)
    elif f.get("closed"):
        order = Trade.closed_at
    elif f.get("settled"):
        order = Trade.settled_at
    elif f.get("reserve"):
        order = Trade.created_at
        reserve = sa.select(Sale.reserve_fen).where(Sale.lot_id == Trade.lot_id).scalar_subquery()
        q = q.where(sa.func.coalesce(reserve, 0) != 0)
    else:
        return q.where(sources.trades_of(lo, hi)), Trade.created_at
    return q.where(order >= lo, order < hi), order


def market_rows(
    period: Period, scope: sources.Scope, drill: Drill, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the trades or lots behind a figure, and how many there are: the ids are
    found and counted in SQL, and only the page's records are loaded."""
    f = drill.filters
    if drill.kind == "trades":
        ids, order = _trade_ids(period, scope, f)
    else:
        lo, hi = utc_bounds(period)
        ids = sa.select(Lot.id).outerjoin(Sale, Sale.lot_id == Lot.id)
        ids = ids.where(sql.org_filter([Lot.organization_id], scope.orgs))
        if scope.family:
            ids = ids.where(Lot.family_code == scope.family)
        if f.get("sale_closed"):
            order = Sale.closed_at
            ids = ids.where(Sale.closed_at >= lo, Sale.closed_at < hi)
        else:
            order = Lot.listed_at
            ids = ids.where(sa.or_(Lot.listed_at.between(lo, hi), Sale.closed_at.between(lo, hi)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0
    pick = ids.order_by(order.desc().nulls_last(), ids.selected_columns[0].desc())
    wanted = list(db.session.scalars(pick.limit(per_page).offset((page - 1) * per_page)))
    if drill.kind == "trades":
        found = {t.id: t for t in sources.load_trades(period, scope, only=wanted)}
    else:
        found = {x.id: x for x in sources.load_lots(period, scope, only=wanted)}
    return [as_row(found[i]) for i in wanted if i in found], total


def weighing_rows(
    r: Records, drill: Drill, scope: sources.Scope, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the station weighings behind a figure, newest first, and the total."""
    lo, hi = sources.utc_bounds(r.period)
    ded = (  # cast: PostgreSQL's sum of bigints is a numeric, which JSON would give as text
        sa.select(sa.cast(sa.func.coalesce(sa.func.sum(Deduction.grams), 0), sa.BigInteger))
        .where(Deduction.weighing_id == Weighing.id)
        .scalar_subquery()
    )
    replaced = sa.select(Weighing.replaces_id).where(Weighing.replaces_id.is_not(None))
    q = sa.select(
        Weighing.id,
        Weighing.station_id,
        Weighing.stage,
        Weighing.factory_id,
        Weighing.net_g,
        ded.label("deduction_g"),
        Weighing.result,
        Weighing.created_at,
    ).where(
        Weighing.created_at >= lo,
        Weighing.created_at < hi,
        Weighing.total.is_(False),
        Weighing.id.not_in(replaced),
    )
    if scope.orgs is not None:
        q = q.where(
            sa.or_(Weighing.station_id.in_(scope.orgs), Weighing.factory_id.in_(scope.orgs))
        )
    f = drill.filters
    if f.get("result"):
        q = q.where(Weighing.result == f["result"])
    if f.get("stage"):
        q = q.where(Weighing.stage == f["stage"])
    if f.get("deducted"):  # deductions are positive (a CHECK): one is enough, found by a
        q = q.where(Weighing.id.in_(sa.select(Deduction.weighing_id)))  # semi-join, not a sum
    counted = q.with_only_columns(Weighing.id)  # the count needs no deduction sums
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted.subquery())) or 0
    page_q = q.order_by(Weighing.created_at.desc(), Weighing.id.desc())
    page_q = page_q.limit(per_page).offset((page - 1) * per_page)
    out = []
    for row in db.session.execute(page_q):
        d = dict(row._mapping)
        d["stage"] = str(d["stage"])
        at: datetime = d["created_at"]
        d["created_at"] = sources.local(at)
        out.append(d)
    return out, total
