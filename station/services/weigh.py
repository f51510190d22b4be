"""Recording one weighing: gross from a stable scale reading (or a manual entry with a reason),
B after the standard tares valid now, the quota check against A with the tolerance for its
control point and material, the alert it raises (tier, repeat rules), all in one transaction.

The pure rules (`station.quota`, `station.tolerance`, `station.alerts`) decide; this module
loads what they need, stores what they decided, and announces alerts of tier 1 and above.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.errors import Invalid, NotFound
from core.i18n import N_
from station import alerts as rules
from station import hooks, quota, tolerance
from station.models import Alert, Deduction, Scale, StandardTare, TolerancePolicy, Weighing
from station.models.flow import Stage
from station.services import work_orders
from station.services.common import grams, kg

# Used when a station has not set its own policy for a control point (it should: `/station/setup`).
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    tolerance.ControlPoint.RECEIVE.value: {
        "shortfall": {"basis": "lenient_max", "absolute_kg": "2", "percent": "2"}
    },
    tolerance.ControlPoint.SORT.value: {
        "shortfall": {"basis": "lenient_max", "absolute_kg": "1", "percent": "3"}
    },
    tolerance.ControlPoint.BALE.value: {
        "shortfall": {"basis": "lenient_max", "absolute_kg": "0.5", "percent": "1"}
    },
    tolerance.ControlPoint.OUTBOUND.value: {
        "shortfall": {"basis": "lenient_max", "absolute_kg": "5", "percent": "0.5"}
    },
}
# Warehouse-in re-weighs a bale: only the scale's own resolution is tolerated.
TRANSFER = tolerance.Tolerance(tolerance.Band(tolerance.Basis.ABSOLUTE, Decimal(0)))
MEASURED_TARE_DRIFT = Decimal("0.05")  # a measured tare 5 % off the standard alerts
DEFAULT_TZ = "Asia/Shanghai"  # the platform's zone (config TIMEZONE); callers pass theirs


def tolerance_from_json(data: Any) -> tolerance.Tolerance:
    """A stored policy as the pure rules read it; malformed input is refused naming the field."""
    if not isinstance(data, dict) or not isinstance(data.get("shortfall"), dict):
        raise Invalid("容差策略需要短缺侧的规则", {"policy.shortfall": "an object"})
    unknown = set(data) - {"shortfall", "excess", "value_cap_fen", "floor_divisions"}
    if unknown:
        raise Invalid("容差策略含未知字段", {f"policy.{sorted(unknown)[0]}": "unknown"})

    def number(value: Any, field: str) -> Decimal:
        try:
            result = Decimal(str(value))
        except ArithmeticError as exc:
            raise Invalid("请填写数字", {field: "not a number"}) from exc
        if not result.is_finite():
            raise Invalid("请填写数字", {field: "not a number"})
        return result

    def band(value: Any, name: str) -> tolerance.Band:
        if not isinstance(value, dict):
            raise Invalid("容差规则格式不正确", {f"policy.{name}": "an object"})
        try:
            basis = tolerance.Basis(value.get("basis"))
        except ValueError as exc:
            raise Invalid("未知的容差方式", {f"policy.{name}.basis": "unknown"}) from exc
        numbers = {
            k: number(value[k], f"policy.{name}.{k}")
            for k in ("absolute_kg", "percent")
            if value.get(k) not in (None, "")
        }
        return tolerance.Band(basis, numbers.get("absolute_kg"), numbers.get("percent"))

    def integer(value: Any, field: str) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise Invalid("请填写正整数", {field: "a positive integer"})
        return int(value)

    excess = data.get("excess")
    return tolerance.Tolerance(
        shortfall=band(data["shortfall"], "shortfall"),
        excess=band(excess, "excess") if excess else None,
        value_cap_fen=integer(data.get("value_cap_fen"), "policy.value_cap_fen"),
        floor_divisions=integer(data.get("floor_divisions"), "policy.floor_divisions")
        or tolerance.DEFAULT_FLOOR_DIVISIONS,
    )


def tolerance_for(station_id: int, point: str, category_id: int | None) -> tolerance.Tolerance:
    """The station's policy for (point, material), else its default for the point, else ours."""
    if point == Stage.WAREHOUSE_IN.value:
        return TRANSFER
    rows = db.session.scalars(
        sa.select(TolerancePolicy).where(
            TolerancePolicy.organization_id == station_id, TolerancePolicy.control_point == point
        )
    ).all()
    specific = next((r for r in rows if r.category_id == category_id and category_id), None)
    default = next((r for r in rows if r.category_id is None), None)
    chosen = specific or default
    return tolerance_from_json(chosen.policy if chosen else DEFAULT_POLICIES[point])


@dataclass(frozen=True)
class Gross:
    """A gross weight as read: from a scale's stable reading (with its raw frame), or typed in by
    hand with a reason (which raises the alert tier by one)."""

    kg: Decimal
    scale_id: int | None = None
    raw: bytes = b""
    manual_reason: str = ""

    @property
    def manual(self) -> bool:
        return self.scale_id is None


def manual(value_kg: Decimal | str, reason: str) -> Gross:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid("手工录入重量必须说明原因", {"manual_reason": "required"})
    grams(value_kg, "gross_kg")  # refuses more than three decimals
    return Gross(Decimal(str(value_kg)), None, b"", reason[:200])


@dataclass(frozen=True)
class TareSpec:
    """A tare to subtract: a standard one by plate or type, or one measured now (by policy,
    when the standard has expired), checked against the standard it replaces."""

    kind: quota.TareKind
    ref: str
    measured_kg: Decimal | None = None


def resolve_tares(
    station_id: int, specs: list[TareSpec], at: datetime
) -> tuple[list[quota.Tare], list[str]]:
    """The pure tares for a weighing at `at`, and warnings (a measured tare far from standard).

    A standard tare that exists but is not valid now blocks the weighing (ExpiredTare) unless a
    measured tare is given — the station's policy is to re-measure, never to guess.
    """
    tares, warnings = [], []
    for i, spec in enumerate(specs):
        rows = db.session.scalars(
            sa.select(StandardTare)
            .where(
                StandardTare.organization_id == station_id,
                StandardTare.kind == spec.kind.value,
                StandardTare.ref == spec.ref.strip().upper(),
            )
            .order_by(StandardTare.valid_from.desc())
        ).all()
        if not rows and spec.measured_kg is None:
            raise Invalid("没有该皮重的标准值，请测定皮重", {f"tares[{i}]": "no standard tare"})
        standard = [
            quota.Tare(spec.kind, kg(r.weight_g), r.valid_from, r.valid_until, r.ref) for r in rows
        ]
        valid = next((t for t in standard if t.valid_at(at)), None)
        if spec.measured_kg is not None:
            reference = valid or (standard[0] if standard else None)
            if reference is not None and quota.tare_drift(
                spec.measured_kg, reference.weight_kg, reference.weight_kg * MEASURED_TARE_DRIFT
            ):
                warnings.append(f"measured tare {spec.ref} far from its standard")
            tares.append(quota.Tare.measured(spec.kind, spec.measured_kg, at, spec.ref))
        elif valid is not None:
            tares.append(valid)
        else:
            raise quota.ExpiredTare(standard[0], i, at)
    return tares, warnings


@dataclass
class Subject:
    """Whom a weighing concerns, for the repeat rules and the process records."""

    operator_id: int | None = None
    line: str = ""
    vehicle_plate: str = ""
    supplier_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def division_of(scale_id: int | None) -> Decimal:
    """The division e (kg) of the scale a weighing was read from."""
    if scale_id is None:
        return Decimal("0.1")  # a manual entry is treated like a 100 g platform scale
    scale = db.session.get(Scale, scale_id)
    if scale is None:
        raise NotFound("秤不存在")
    return Decimal(scale.division_g) / 1000


def record(
    actor: Actor,
    station_id: int,
    *,
    stage: Stage,
    point: str,
    gross: Gross,
    tares: list[quota.Tare],
    standard_kg: Decimal | None,
    category_id: int | None,
    subject: Subject,
    now: datetime,
    unit_price_fen_per_kg: Decimal | None = None,
    package_id: int | None = None,
    delivery_id: int | None = None,
    work_order: int | str | None = None,
    work_order_id: int | None = None,
    tz: str = DEFAULT_TZ,
    replaces_id: int | None = None,
    deductions: list[quota.Deduction] | None = None,
    total: bool = False,
    checked: bool = True,
) -> Weighing:
    """Store one weighing with its check and raise its alert; `checked` False records a
    weighing of a stage without a control point (送料).

    `work_order` (an id or number) books the weighing against an order, checked by
    `work_orders.for_weighing` against the local day in `tz`; its line becomes the weighing's
    line. `work_order_id` keeps an order already booked (a 复称 keeps the one it corrects).
    """
    if work_order not in (None, ""):
        order = work_orders.for_weighing(
            station_id,
            work_order,
            stage=stage,
            operator_id=subject.operator_id or actor.user_id,
            at=now,
            tz=tz,
        )
        if subject.line and subject.line != order.line:
            raise Invalid(
                "产线/班组与工单 %(number)s 的产线 %(line)s 不一致",
                {"line": f"work order line {order.line}"},
                number=order.number,
                line=order.line,
            )
        subject = replace(subject, line=order.line)
        work_order_id = order.id
    b = quota.net(gross.kg, tares, now)
    division = division_of(gross.scale_id)
    if checked:
        result = quota.check(
            standard_kg,
            b,
            tolerance_for(station_id, point, category_id),
            division_kg=division,
            unit_price_fen=unit_price_fen_per_kg,
        )
    else:
        result = quota.Check(None, b, None, None, quota.Result.NORMAL, None, None)
    row = Weighing(
        station_id=station_id,
        stage=stage,
        control_point=point if checked else "",
        total=total,
        package_id=package_id,
        delivery_id=delivery_id,
        work_order_id=work_order_id,
        scale_id=gross.scale_id,
        category_id=category_id,
        factory_id=subject.supplier_id,
        manual=gross.manual,
        manual_reason=gross.manual_reason,
        gross_g=grams(gross.kg, "gross_kg"),
        tares=[{"kind": t.kind.value, "ref": t.ref, "kg": str(t.weight_kg)} for t in tares],
        net_g=grams(b, "net"),
        standard_g=grams(result.a, "a") if result.a is not None else None,
        tolerance_g=grams(result.c, "c") if result.c is not None else None,
        deviation_g=grams(result.d, "d") if result.d is not None else None,
        result=result.result.value,
        sign=result.sign.value if result.sign else "",
        ratio_x=result.x.quantize(Decimal("0.0001")) if result.x is not None else None,
        raw_sha256=hashlib.sha256(gross.raw).hexdigest() if gross.raw else "",
        operator_id=subject.operator_id or actor.user_id,
        vehicle_plate=subject.vehicle_plate,
        line=subject.line,
        replaces_id=replaces_id,
        created_at=now,
    )
    checked_deductions = quota.deduct(result, deductions or []).deductions
    row.deductions = [
        Deduction(kind=d.kind.value, grams=grams(d.kg, "deductions.kg"), reason=d.reason)
        for d in checked_deductions
    ]
    # A stage total is computed, not typed in: it is no manual entry and raises no tier for it.
    typed = gross.manual and not total
    grade = rules.grade(result, manual=typed) if checked or typed else None
    repeat = _repeats(row, grade, subject, now) if grade is not None else None
    row.tier = repeat.tier if repeat is not None else 0
    db.session.add(row)
    db.session.flush()  # the weighing is written once, with its final tier
    if grade is not None and repeat is not None:
        raise_alert(row, grade, repeat, subject, now)
    return row


def _repeats(row: Weighing, grade: rules.Grade, subject: Subject, now: datetime) -> rules.Repeat:
    """The tier after the repeat rules, counting the station's alerts of the last week."""
    recent = db.session.scalars(
        sa.select(Alert).where(
            Alert.station_id == row.station_id,
            Alert.opened_at >= now - timedelta(days=8),
            Alert.tier >= 1,
        )
    ).all()

    def event(a: Any, at: datetime, tier: int) -> rules.AlertEvent:
        return rules.AlertEvent(
            at=at,
            tier=tier,
            operator=str(a.operator_id) if a.operator_id else None,
            line=a.line or None,
            vehicle=a.vehicle_plate or None,
            supplier=str(a.supplier_id) if a.supplier_id else None,
        )

    new = rules.AlertEvent(
        at=now,
        tier=grade.tier,
        operator=str(row.operator_id) if row.operator_id else None,
        line=subject.line or None,
        vehicle=subject.vehicle_plate or None,
        supplier=str(subject.supplier_id) if subject.supplier_id else None,
    )
    return rules.repeats(new, [event(a, a.opened_at, a.tier) for a in recent])


def raise_alert(
    row: Weighing, grade: rules.Grade, repeat: rules.Repeat, subject: Subject, now: datetime
) -> Alert:
    """Store the alert and announce it (tier ≥ 1) at once."""
    reasons = list(grade.reasons) + ["repeat"] * bool(repeat.triggers)
    alert = Alert(
        station_id=row.station_id,
        weighing_id=row.id,
        tier=repeat.tier,
        base_tier=grade.tier,
        reason=",".join(reasons),
        state=rules.State.OPEN.value,
        deviation_ratio=row.ratio_x,
        operator_id=row.operator_id,
        line=subject.line,
        vehicle_plate=subject.vehicle_plate,
        supplier_id=subject.supplier_id,
        opened_at=now,
        updated_at=now,
        due_at=now + rules.DEFAULT_LIMITS[repeat.tier],
    )
    db.session.add(alert)
    db.session.flush()
    if alert.tier >= 1:
        hooks.announce(
            "station.alert",
            [row.station_id],
            message=N_("回收站%(tier)s级预警：%(stage)s 偏差 %(d)s 千克（容差 %(c)s）"),
            params={
                "tier": alert.tier,
                "stage": row.stage.value,
                "d": str(kg(row.deviation_g)) if row.deviation_g is not None else "—",
                "c": str(kg(row.tolerance_g)) if row.tolerance_g is not None else "—",
            },
            link=f"/station/alerts/{alert.id}",
            payload={
                "alert_id": alert.id,
                "tier": alert.tier,
                "weighing_id": row.id,
                "stage": row.stage.value,
                "result": row.result,
                "reason": alert.reason,
            },
        )
    return alert
