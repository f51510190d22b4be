"""Quota formulas of the station's control points: standard A, net B, deviation D, check.

Definitions (kg as `Decimal`, compared at 0.001 kg, ROUND_HALF_UP; money in integer fen):

- B = gross − Σ standard tares valid at the weighing time (vehicle, container, pallet).
- D = B − A; the check is **normal iff |D| ≤ C**, otherwise an **anomaly**; the sign is kept
  (shortfall D < 0, excess D > 0), and x = |D| / C grades the alert (`station.alerts`).
- CP1 receive: A = Σ over the production records the delivery note references of quantity ×
  factor (plan × base weight per unit, output × yield per case, handover × loss ratio). No
  record → A is None → result `no_standard` (an informational alert, never a silent pass).
- CP2 sort: A_j = B_receive × ratio_j for each output; the lines' rounding remainder goes to
  the residue line, so Σ A_j == B_receive exactly and the total check is A = B_receive.
- CP3 bale: A = Σ sorted quantity consumed (partial consumption tracked by `consume`).
- CP4 outbound: A = what is left of the plan, capped by the vehicle; the weighbridge net is
  also compared with Σ bale labels scanned onto the load.

Deductions (扣水/扣杂) never enter the check: the check uses B before deductions and the
deducted quantity is reported on its own line, so a deduction can never hide a shortfall.
Everything here is pure: the services pass values and store the results.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from core.errors import Invalid
from station.ratios import RatioLine, validate
from station.tolerance import (
    KG,
    N_,
    Side,
    Source,
    Tolerance,
    division,
    kg,
    non_negative_kg,
    unit_price,
)
from station.tolerance import ControlPoint as ControlPoint  # re-exported for the services

LOCAL = ZoneInfo("Asia/Shanghai")  # only to show validity dates in messages

# ---- tares and the net weight B ---------------------------------------------------------


class TareKind(enum.StrEnum):
    """What a standard tare is the weight of."""

    VEHICLE = "vehicle"
    CONTAINER = "container"
    PALLET = "pallet"


@dataclass(frozen=True)
class Tare:
    """A standard tare (标准皮重) with its validity [valid_from, valid_until), UTC."""

    kind: TareKind
    weight_kg: Decimal
    valid_from: datetime
    valid_until: datetime | None = None
    ref: str = ""  # plate number, container type or pallet type, for messages

    def valid_at(self, at: datetime) -> bool:
        """Whether the tare may be used for a weighing at `at` (start inclusive, end exclusive)."""
        if at.tzinfo is None or self.valid_from.tzinfo is None:
            raise ValueError("tare validity and weighing times must be timezone-aware")
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    @classmethod
    def measured(cls, kind: TareKind, weight_kg: Decimal, at: datetime, ref: str = "") -> Tare:
        """A tare weighed just now (valid for this weighing only), for the 'measure' policy."""
        return cls(kind, weight_kg, at, None, ref)


class ExpiredTare(Invalid):
    """A standard tare is not valid at the weighing time; by policy the caller blocks the
    weighing or asks for a measured tare (`Tare.measured`) and checks it with `tare_drift`."""

    def __init__(self, tare: Tare, index: int, at: datetime) -> None:
        until = tare.valid_until.astimezone(LOCAL).date().isoformat() if tare.valid_until else "—"
        super().__init__(
            N_("标准皮重 %(ref)s 不在有效期内（%(valid_from)s 至 %(valid_until)s），请实测皮重"),
            {f"tares[{index}]": "not valid at the weighing time"},
            ref=tare.ref or tare.kind.value,
            valid_from=tare.valid_from.astimezone(LOCAL).date().isoformat(),
            valid_until=until,
        )
        self.tare = tare
        self.index = index
        self.at = at


def net(gross: Decimal, tares: Sequence[Tare], at: datetime) -> Decimal:
    """B = gross − Σ tares valid at `at`; an invalid tare raises ExpiredTare, B < 0 is refused."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware (UTC)")
    b = non_negative_kg(gross, "gross")
    for i, tare in enumerate(tares):
        if not tare.valid_at(at):
            raise ExpiredTare(tare, i, at)
        b -= non_negative_kg(tare.weight_kg, f"tares[{i}].weight_kg")
    if b < 0:
        raise Invalid("毛重小于皮重之和，净重为负", {"gross": "below the sum of the tares"})
    return b


def tare_drift(measured: Decimal, standard: Decimal, limit: Decimal) -> bool:
    """True when a measured tare is further than `limit` from the standard (an alert)."""
    return abs(
        non_negative_kg(measured, "measured") - non_negative_kg(standard, "standard")
    ) > non_negative_kg(limit, "limit")


# ---- CP1 receive: the standard from production records ----------------------------------


class RecordKind(enum.StrEnum):
    """Which production figure a record carries and what its factor means."""

    PLAN = "plan"  # plan quantity × base weight per unit (kg per unit)
    OUTPUT = "output"  # output quantity × yield per case (kg per case)
    HANDOVER = "handover"  # handover quantity (a mass) × loss ratio (kg of waste per kg)


MASS_UNITS = {"g": Decimal("0.001"), "kg": Decimal(1), "t": Decimal(1000)}


@dataclass(frozen=True)
class ProductionRecord:
    """A production record a delivery note references, with its quantity and factor.

    `unit` is the quantity's unit; `factor_per_unit` the unit the factor is given per (kg per
    件, per 箱, …). For a handover the quantity is a mass and the factor a ratio (per kg).
    """

    ref: str
    kind: RecordKind
    quantity: Decimal
    unit: str
    factor: Decimal
    factor_per_unit: str


def record_standard(record: ProductionRecord, index: int = 0) -> Decimal:
    """One record's contribution to A, exact (not rounded); a unit mismatch is refused."""
    field = f"records[{index}]"
    kind = RecordKind(record.kind)
    quantity = kg(record.quantity, f"{field}.quantity")  # 0.001 resolution is enough for counts
    if quantity < 0:
        raise Invalid("生产记录的数量不能为负数", {f"{field}.quantity": "negative"})
    factor = _factor(record.factor, f"{field}.factor")
    unit, per = record.unit.strip(), record.factor_per_unit.strip()
    if kind is RecordKind.HANDOVER:
        if unit not in MASS_UNITS or per != "kg":
            raise Invalid(
                "交接记录 %(ref)s 的数量必须是重量单位，损耗率按千克计",
                {f"{field}.unit": f"{unit} per {per}: needs a mass per kg"},
                ref=record.ref,
            )
        if factor > 1:
            raise Invalid("损耗率不能大于 1", {f"{field}.factor": "ratio above 1"})
        return quantity * MASS_UNITS[unit] * factor
    if unit != per:
        raise Invalid(
            "生产记录 %(ref)s 的数量单位（%(unit)s）与系数单位（%(per)s）不一致",
            {f"{field}.unit": f"{unit} ≠ {per}"},
            ref=record.ref,
            unit=unit,
            per=per,
        )
    return quantity * factor


def _factor(value: Decimal, field: str) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(f"{field} must be a Decimal")
    factor = Decimal(value)
    if not factor.is_finite() or factor < 0 or factor > 10**6:
        raise Invalid("系数必须是非负数", {field: "not a non-negative number"})
    return factor


def receive_standard(records: Sequence[ProductionRecord]) -> Decimal | None:
    """A for CP1: Σ quantity × factor over the records, rounded once; None without records."""
    if not records:
        return None
    total = sum((record_standard(r, i) for i, r in enumerate(records)), Decimal(0))
    return total.quantize(KG, rounding=ROUND_HALF_UP)


# ---- CP2 sort ---------------------------------------------------------------------------


def sort_standards(b_receive: Decimal, ratios: Sequence[RatioLine]) -> dict[str, Decimal]:
    """A_j = B × ratio_j per output, in the lines' order; Σ A_j == B exactly.

    Each output line is rounded half up to the gram and the residue line takes B − Σ others,
    so the remainder of the rounding sits on the residue/loss line (at most n × 0.5 g). When
    the residue's share is so small that this would go below zero, the lines that were
    rounded up give back a gram each, largest rounding first, until it is not.
    """
    lines = validate(ratios)
    b = non_negative_kg(b_receive, "b_receive")
    exact = {line.output.strip(): b * line.ratio for line in lines if not line.residue}
    result = {name: value.quantize(KG, rounding=ROUND_HALF_UP) for name, value in exact.items()}
    remainder = b - sum(result.values(), Decimal(0))
    if remainder < 0:
        by_rounding = sorted(result, key=lambda n: result[n] - exact[n], reverse=True)
        for name in by_rounding:
            if remainder >= 0:
                break
            if result[name] > exact[name]:
                result[name] -= KG
                remainder += KG
    ordered: dict[str, Decimal] = {}
    for line in lines:
        name = line.output.strip()
        ordered[name] = remainder if line.residue else result[name]
    return ordered


# ---- CP3 bale: consumption of sorted batches --------------------------------------------


@dataclass(frozen=True)
class SortedBatch:
    """A sorted batch with what is left of it."""

    ref: str
    material: str
    remaining_kg: Decimal


@dataclass(frozen=True)
class Consumption:
    """A quantity taken from a sorted batch into a bale."""

    batch_ref: str
    kg: Decimal


@dataclass(frozen=True)
class Allocation:
    """What a bale consumes from which batch, and what is left of every batch afterwards."""

    consumptions: tuple[Consumption, ...]
    remaining: tuple[SortedBatch, ...]

    @property
    def total_kg(self) -> Decimal:
        """Σ consumed: the bale's standard A."""
        return bale_standard(self.consumptions)


def consume(
    batches: Sequence[SortedBatch], request_kg: Decimal, *, material: str | None = None
) -> Allocation:
    """Take `request_kg` from the batches in the order given (FIFO); more than they hold is
    refused, and so is a batch of another material when `material` is given."""
    request = non_negative_kg(request_kg, "kg")
    have = sum((non_negative_kg(b.remaining_kg, "remaining_kg") for b in batches), Decimal(0))
    if request == 0 or request > have:
        raise Invalid(
            "分拣批次余量不足：需要 %(need)s 千克，可用 %(have)s 千克",
            {"kg": "not positive" if request == 0 else "more than the batches hold"},
            need=str(request),
            have=str(have),
        )
    picks: dict[str, Decimal] = {}
    for batch in batches:
        take = min(request - sum(picks.values(), Decimal(0)), kg(batch.remaining_kg, "kg"))
        if take > 0:
            picks[batch.ref] = take
    return consume_from(batches, picks, material=material)


def consume_from(
    batches: Sequence[SortedBatch], picks: Mapping[str, Decimal], *, material: str | None = None
) -> Allocation:
    """Take the named quantities from the named batches; over-consumption of any is refused."""
    by_ref: dict[str, SortedBatch] = {}
    for i, batch in enumerate(batches):
        if material is not None and batch.material != material:
            raise Invalid(
                "分拣批次 %(ref)s 的物料与打包物料不一致",
                {f"batches[{i}].material": "another material"},
                ref=batch.ref,
            )
        if batch.ref in by_ref:
            raise Invalid("分拣批次重复", {f"batches[{i}].ref": "duplicate"})
        by_ref[batch.ref] = batch
    if not picks:
        raise Invalid("请选择要消耗的分拣批次", {"picks": "empty"})
    taken: dict[str, Decimal] = {}
    for ref, amount in picks.items():
        field = f"picks[{ref}]"
        if ref not in by_ref:
            raise Invalid("分拣批次 %(ref)s 不存在", {field: "unknown batch"}, ref=ref)
        take = non_negative_kg(amount, field)
        have = non_negative_kg(by_ref[ref].remaining_kg, field)
        if take == 0 or take > have:
            raise Invalid(
                "分拣批次 %(ref)s 余量 %(have)s 千克，不能消耗 %(need)s 千克",
                {field: "not positive" if take == 0 else "more than the batch holds"},
                ref=ref,
                have=str(have),
                need=str(take),
            )
        taken[ref] = take
    consumptions = tuple(Consumption(ref, amount) for ref, amount in taken.items())
    remaining = tuple(
        SortedBatch(b.ref, b.material, kg(b.remaining_kg, "kg") - taken.get(b.ref, Decimal(0)))
        for b in batches
    )
    return Allocation(consumptions, remaining)


def bale_standard(consumptions: Sequence[Consumption]) -> Decimal:
    """A for CP3: Σ consumed sorted quantity."""
    return sum(
        (non_negative_kg(c.kg, f"consumptions[{i}].kg") for i, c in enumerate(consumptions)),
        Decimal(0),
    )


# ---- CP4 outbound -----------------------------------------------------------------------


def outbound_standard(
    planned: Decimal, already_shipped: Decimal, vehicle_capacity: Decimal | None
) -> Decimal:
    """A for CP4: what is left of the plan, capped by the vehicle's capacity (None: no cap).

    A plan already shipped in full is refused: a further load has no standard to meet.
    """
    left = non_negative_kg(planned, "planned") - non_negative_kg(already_shipped, "already_shipped")
    if left <= 0:
        raise Invalid("出库计划已全部发运", {"already_shipped": "plan fulfilled"})
    if vehicle_capacity is None:
        return left
    capacity = non_negative_kg(vehicle_capacity, "vehicle_capacity")
    if capacity == 0:
        raise Invalid("车辆核定载重必须大于 0", {"vehicle_capacity": "not positive"})
    return min(left, capacity)


# ---- the check --------------------------------------------------------------------------


class Result(enum.StrEnum):
    """The outcome of a quota check."""

    NORMAL = "normal"
    ANOMALY = "anomaly"
    NO_STANDARD = "no_standard"


@dataclass(frozen=True)
class Check:
    """A quota check: A, B, D = B − A, the C applied on D's side, result, sign and x = |D|/C.

    Without a standard (a None) D, C, x and the sign are None and the result `no_standard`.
    `value_fen` is |D| × unit price rounded half up to the fen (None without a price);
    `value_cap_breach` is an anomaly whose value exceeds the policy's money cap.
    """

    a: Decimal | None
    b: Decimal
    d: Decimal | None
    c: Decimal | None
    result: Result
    sign: Side | None
    x: Decimal | None
    value_cap_breach: bool = False
    value_fen: int | None = None
    c_source: Source | None = None


def check(
    a: Decimal | None,
    b: Decimal,
    tolerance: Tolerance,
    *,
    division_kg: Decimal,
    unit_price_fen: Decimal | int | None = None,
) -> Check:
    """Check B against A with `tolerance`: normal iff |D| ≤ C at 0.001 kg; the sign kept.

    The exact weighing (D = 0) uses the shortfall side's C. `unit_price_fen` is fen per kg;
    it is required when the policy has a value cap (the cap cannot be applied without it).
    """
    b = non_negative_kg(b, "b")
    division(division_kg)
    price = unit_price(unit_price_fen)
    if a is None:
        return Check(None, b, None, None, Result.NO_STANDARD, None, None)
    a = non_negative_kg(a, "a")
    d = b - a
    sign = Side.SHORTFALL if d < 0 else Side.EXCESS if d > 0 else Side.EXACT
    limit = tolerance.limit(a, sign, division_kg=division_kg, unit_price_fen=price)
    deviation = abs(d)
    normal = deviation <= limit.c
    value_fen = None
    if price is not None:
        value_fen = int((deviation * price).to_integral_value(rounding=ROUND_HALF_UP))
    breach = (
        not normal
        and tolerance.value_cap_fen is not None
        and price is not None
        and deviation * price > tolerance.value_cap_fen
    )
    return Check(
        a=a,
        b=b,
        d=d,
        c=limit.c,
        result=Result.NORMAL if normal else Result.ANOMALY,
        sign=sign,
        x=deviation / limit.c,
        value_cap_breach=breach,
        value_fen=value_fen,
        c_source=limit.source,
    )


def compare_outbound(
    weighbridge_net: Decimal,
    label_total: Decimal,
    tolerance: Tolerance,
    *,
    division_kg: Decimal,
    unit_price_fen: Decimal | int | None = None,
) -> Check:
    """CP4's second check: the weighbridge net (B) against Σ bale labels on the load (A)."""
    return check(
        label_total,
        weighbridge_net,
        tolerance,
        division_kg=division_kg,
        unit_price_fen=unit_price_fen,
    )


# ---- deductions (扣水/扣杂) ---------------------------------------------------------------


class DeductionKind(enum.StrEnum):
    """What a deduction takes off: water (扣水) or impurities (扣杂)."""

    WATER = "water"
    IMPURITY = "impurity"


@dataclass(frozen=True)
class Deduction:
    """A deduction with its reason; recorded on its own line, never inside B."""

    kind: DeductionKind
    kg: Decimal
    reason: str


@dataclass(frozen=True)
class Deducted:
    """A check with its deductions beside it: the check is unchanged (on B before deductions),
    the deducted quantity is its own line, and `accepted_kg` = B − Σ deductions."""

    check: Check
    deductions: tuple[Deduction, ...]
    deducted_kg: Decimal
    accepted_kg: Decimal


def deduct(result: Check, deductions: Sequence[Deduction]) -> Deducted:
    """Put deductions beside a check; each needs a reason, and Σ may not exceed B."""
    total = Decimal(0)
    for i, deduction in enumerate(deductions):
        DeductionKind(deduction.kind)
        amount = non_negative_kg(deduction.kg, f"deductions[{i}].kg")
        if amount == 0:
            raise Invalid("扣减数量必须大于 0", {f"deductions[{i}].kg": "not positive"})
        if not deduction.reason.strip():
            raise Invalid("扣水/扣杂必须填写原因", {f"deductions[{i}].reason": "required"})
        total += amount
    if total > result.b:
        raise Invalid("扣减合计不能超过净重", {"deductions": "more than the net weight"})
    return Deducted(result, tuple(deductions), total, result.b - total)
