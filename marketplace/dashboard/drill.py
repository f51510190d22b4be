"""The records behind a figure: the rows its `Drill` names, as plain dicts for JSON and files.

Trades, lots, trips, reports and organisations come from the records the formulas read (so a
drill-down lists exactly what was counted); weighings are aggregated for the formulas, so their
rows are read from the table, one page at a time.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.db import db
from marketplace.dashboard import sources
from marketplace.dashboard.indicators import Drill, _in, delivered, utilised
from marketplace.dashboard.records import Records
from station.models.flow import Deduction, Weighing
from station.reports import Column

COLUMNS: dict[str, list[Column]] = {
    "trades": [
        Column("id", "交易编号"),
        Column("lot_id", "批次编号"),
        Column("family", "物料类别"),
        Column("seller_id", "卖方"),
        Column("buyer_id", "买方"),
        Column("declared_g", "申报重量(克)"),
        Column("weighed_g", "称重净重(克)"),
        Column("price_fen_per_t", "成交价(分/吨)"),
        Column("status", "状态"),
        Column("delivered_at", "到货时间"),
        Column("end_use_kind", "最终用途"),
    ],
    "lots": [
        Column("id", "批次编号"),
        Column("org_id", "企业"),
        Column("family", "物料类别"),
        Column("declared_g", "申报重量(克)"),
        Column("listed_at", "挂牌时间"),
        Column("sale_closed_at", "截止时间"),
        Column("sold", "已成交"),
    ],
    "weighings": [
        Column("id", "称重编号"),
        Column("station_id", "回收站"),
        Column("stage", "环节"),
        Column("factory_id", "企业"),
        Column("net_g", "净重(克)"),
        Column("deduction_g", "扣减(克)"),
        Column("result", "结果"),
        Column("created_at", "称重时间"),
    ],
    "trips": [
        Column("plan_id", "调度计划"),
        Column("org_id", "物流企业"),
        Column("day", "日期"),
        Column("km", "里程(km)"),
        Column("empty_km", "空驶里程(km)"),
        Column("load_factor", "装载率"),
        Column("vehicles", "车辆数"),
        Column("pickups", "提货点数"),
    ],
    "reports": [
        Column("org_id", "企业"),
        Column("month", "月份"),
        Column("value_added_fen", "工业增加值(分)"),
        Column("virgin_input_g", "原生料投入(克)"),
        Column("recycled_input_g", "再生料投入(克)"),
        Column("capacity_g", "产能(克)"),
    ],
    "orgs": [Column("id", "企业"), Column("kind", "类型"), Column("active", "本期活跃")],
}


def _trades(r: Records, f: dict[str, Any]) -> list[Any]:
    if f.get("delivered"):
        return delivered(r) if f.get("all") else [t for t in delivered(r) if utilised(t)]
    if f.get("picked_up"):
        return [t for t in r.trades if _in(r.period, t.picked_up_at or t.delivered_at)]
    if f.get("closed"):
        return [t for t in r.trades if _in(r.period, t.closed_at)]
    if f.get("settled"):
        return [t for t in r.trades if _in(r.period, t.settled_at)]
    if f.get("reserve"):
        return [t for t in r.trades if _in(r.period, t.created_at) and t.reserve_fen_per_t]
    return list(r.trades)


def rows(r: Records, drill: Drill, scope: sources.Scope) -> list[dict[str, Any]]:
    """Every row behind a figure (weighings: use `weighing_rows`, which pages in SQL)."""
    f = drill.filters
    if drill.kind == "trades":
        items: list[Any] = _trades(r, f)
    elif drill.kind == "lots":
        items = [x for x in r.lots if not f.get("sale_closed") or _in(r.period, x.sale_closed_at)]
    elif drill.kind == "trips":
        items = list(r.trips)
    elif drill.kind == "reports":
        items = list(r.reports)
    elif drill.kind == "orgs":
        items = [o for o in r.orgs if not f.get("active") or o.active]
    else:
        return weighing_rows(r, drill, scope, 1, 10_000)[0]
    return [dataclasses.asdict(x) for x in items]


def weighing_rows(
    r: Records, drill: Drill, scope: sources.Scope, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the station weighings behind a figure, newest first, and the total."""
    lo, hi = sources.utc_bounds(r.period)
    ded = (
        sa.select(sa.func.coalesce(sa.func.sum(Deduction.grams), 0))
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
    if f.get("deducted"):
        q = q.where(ded > 0)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
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
