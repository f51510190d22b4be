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
from core.i18n import N_
from marketplace.dashboard import sources
from marketplace.dashboard.figures import Drill, _in, delivered, utilised
from marketplace.dashboard.records import Records
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


def as_row(record: Any) -> dict[str, Any]:
    """A record as a flat dict (shallow: cheaper than `dataclasses.asdict` on a page)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def rows(r: Records, drill: Drill, scope: sources.Scope) -> list[Any]:
    """Every record behind a figure, unconverted (page, then `as_row`); weighings: use
    `weighing_rows`, which pages in SQL."""
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
        raise ValueError("weighings page in SQL: use weighing_rows")
    return items


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
