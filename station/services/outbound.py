"""出库: selling a station's stock. Fund supervision as the trading issue does it: a plan is
approved only while the buyer's escrow covers planned quantity × unit price plus tax and fees
(equal passes), and the approval holds that money in the same transaction; each load re-checks
the cumulative weighed value, is paid from the held money as it leaves, and the rest is
released when the plan closes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.errors import Conflict, Invalid, NotFound
from station import hooks, passports, quota, tolerance
from station.models import OutboundLoad, OutboundPlan, PackageState, Stage, Weighing
from station.services import stock
from station.services.common import category, grams, kg, organization, package_by_label, writer
from station.services.weigh import (
    DEFAULT_TZ,
    Gross,
    Subject,
    TareSpec,
    division_of,
    record,
    resolve_tares,
    tolerance_for,
)

GRAMS_PER_TONNE = 1_000_000


def value_fen(price_fen_per_t: int, grams_: int, tax_rate_pct: int) -> int:
    """Goods value with VAT, integer fen, half a fen up."""
    goods = Decimal(price_fen_per_t) * Decimal(grams_) / GRAMS_PER_TONNE
    with_tax = goods * (100 + tax_rate_pct) / 100
    return int(with_tax.to_integral_value(rounding=ROUND_HALF_UP))


def required_fen(plan: OutboundPlan) -> int:
    """What approval holds: planned quantity × price, with tax, plus fees."""
    return value_fen(plan.unit_price_fen_per_t, plan.planned_g, plan.tax_rate_pct) + plan.fees_fen


def create_plan(
    actor: Actor,
    *,
    buyer_id: int,
    grade: str,
    planned_kg: Decimal,
    unit_price_fen_per_t: int,
    tax_rate_pct: int = 13,
    fees_fen: int = 0,
    now: datetime,
) -> OutboundPlan:
    sid = writer(actor)
    organization(buyer_id, OrgKind.RECYCLER, "buyer_id")
    if unit_price_fen_per_t <= 0:
        raise Invalid("单价必须大于 0", {"unit_price_yuan_per_t": "positive"})
    if not 0 <= tax_rate_pct <= 30 or fees_fen < 0:
        raise Invalid("税率或费用不正确", {"tax_rate_pct" if fees_fen >= 0 else "fees": "range"})
    planned = grams(planned_kg, "planned_kg")
    if planned <= 0:
        raise Invalid("计划数量必须大于 0", {"planned_kg": "positive"})
    count = db.session.scalar(
        sa.select(sa.func.count(OutboundPlan.id)).where(OutboundPlan.station_id == sid)
    )
    plan = OutboundPlan(
        station_id=sid,
        buyer_id=buyer_id,
        number=f"OB-ST{sid:02d}-{now:%Y%m%d}-{count + 1:04d}",
        category_id=category(grade, "grade").id,
        planned_g=planned,
        unit_price_fen_per_t=unit_price_fen_per_t,
        tax_rate_pct=tax_rate_pct,
        fees_fen=fees_fen,
        created_at=now,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def _plan(station_id: int, plan_id: int) -> OutboundPlan:
    plan = db.session.scalar(
        sa.select(OutboundPlan)
        .where(OutboundPlan.id == plan_id, OutboundPlan.station_id == station_id)
        .with_for_update()
    )
    if plan is None:
        raise NotFound("出库计划不存在")
    return plan


def approve(actor: Actor, plan_id: int, *, now: datetime) -> OutboundPlan:
    """Approve while funded: check and hold the buyer's money in one transaction."""
    sid = writer(actor)
    plan = _plan(sid, plan_id)
    if plan.state != "draft":
        raise Conflict("出库计划已审批或已关闭", {"state": plan.state})
    needed = required_fen(plan)
    funds = hooks.funds()
    if funds.available_fen(plan.buyer_id) < needed:
        raise Conflict(
            "买方托管余额不足，不能审批出库（需 %(fen)s 分）",
            {"escrow": "buyer balance below the planned value"},
            fen=needed,
        )
    funds.hold(plan.buyer_id, needed, f"outbound:{plan.number}")
    plan.state, plan.reserved_fen = "approved", needed
    plan.approved_at, plan.approved_by = now, actor.user_id
    return plan


def load(
    actor: Actor,
    plan_id: int,
    *,
    vehicle_plate: str,
    gross: Gross,
    vehicle_tare: TareSpec,
    labels: list[str],
    vehicle_capacity_kg: Decimal | None,
    now: datetime,
    tz: str = DEFAULT_TZ,
    work_order: int | str | None = None,
) -> Weighing:
    """A load leaves (CP4): weighbridge net against what is left of the plan, and against the
    bale labels scanned onto it; paid from the buyer's held money as it goes."""
    sid = writer(actor)
    plan = _plan(sid, plan_id)
    if plan.state != "approved":
        raise Conflict("出库计划未审批或已关闭，不能出库", {"state": plan.state})
    if not labels:
        raise Invalid("请扫描装车的包标签", {"labels": "empty"})
    bales = []
    for label in labels:
        package = package_by_label(sid, label, lock=True)
        if package.state is not PackageState.IN_STOCK:
            raise Conflict("标签 %(label)s 不在库", {"labels": "not in stock"}, label=label)
        if package.category_id != plan.category_id:
            raise Invalid(
                "标签 %(label)s 的物料与计划不符", {"labels": "another material"}, label=label
            )
        bales.append(package)
    shipped = sum(x.net_g for x in plan.loads)
    standard = quota.outbound_standard(kg(plan.planned_g), kg(shipped), vehicle_capacity_kg)
    tares, _ = resolve_tares(sid, [vehicle_tare], now)
    plate = vehicle_plate.strip().upper()
    price_per_kg = Decimal(plan.unit_price_fen_per_t) / 1000
    weighing = record(
        actor,
        sid,
        stage=Stage.WAREHOUSE_OUT,
        point=tolerance.ControlPoint.OUTBOUND.value,
        gross=gross,
        tares=tares,
        standard_kg=standard,
        category_id=plan.category_id,
        now=now,
        unit_price_fen_per_kg=price_per_kg,
        work_order=work_order,
        tz=tz,
        subject=Subject(vehicle_plate=plate),
    )
    label_total = sum((kg(b.net_g) for b in bales), Decimal(0))
    labels_check = quota.compare_outbound(
        kg(weighing.net_g),
        label_total,
        tolerance_for(sid, tolerance.ControlPoint.OUTBOUND.value, plan.category_id),
        division_kg=division_of(weighing.scale_id),
    )
    record(
        actor,
        sid,
        stage=Stage.WAREHOUSE_OUT,
        point=tolerance.ControlPoint.OUTBOUND.value,
        total=True,
        gross=Gross(kg(weighing.net_g), None, b"", "地磅净重与标签合计比对"),
        tares=[],
        standard_kg=labels_check.a,
        category_id=plan.category_id,
        now=now,
        work_order_id=weighing.work_order_id,  # the load's order, checked once above
        subject=Subject(line=weighing.line, vehicle_plate=plate),
    )
    value = value_fen(plan.unit_price_fen_per_t, weighing.net_g, plan.tax_rate_pct)
    funds = hooks.funds()
    if value > plan.reserved_fen:  # heavier than planned: the difference must be there now
        extra = value - plan.reserved_fen
        if funds.available_fen(plan.buyer_id) < extra:
            raise Conflict(
                "买方托管余额不足以覆盖本车价值（差 %(fen)s 分），暂停出库",
                {"escrow": "cumulative weighed value above the money held"},
                fen=extra,
            )
        funds.hold(plan.buyer_id, extra, f"outbound:{plan.number}")
        plan.reserved_fen += extra
    funds.pay(plan.buyer_id, sid, value, f"outbound:{plan.number}")
    plan.reserved_fen -= value
    passports.shipped(bales, plan.buyer_id, plan.number, now)
    for package in bales:
        stock.shipped(package, at=now, weighing_id=weighing.id, operator_id=weighing.operator_id)
        package.state, package.remaining_g, package.location_id = PackageState.SHIPPED, 0, None
    db.session.add(
        OutboundLoad(
            plan_id=plan.id,
            weighing_id=weighing.id,
            vehicle_plate=plate,
            net_g=weighing.net_g,
            labels_g=grams(label_total, "labels"),
            value_fen=value,
            created_at=now,
        )
    )
    db.session.flush()
    return weighing


def close_plan(actor: Actor, plan_id: int, *, now: datetime) -> OutboundPlan:
    """End a plan: the buyer's money still held for it is released."""
    sid = writer(actor)
    plan = _plan(sid, plan_id)
    if plan.state == "closed":
        raise Conflict("出库计划已关闭", {"state": plan.state})
    if plan.reserved_fen:
        hooks.funds().release(plan.buyer_id, plan.reserved_fen, f"outbound:{plan.number}")
    plan.state, plan.reserved_fen = "closed", 0
    return plan
