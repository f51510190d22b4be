"""Tolerance C of a quota check: the policies a station configures and the value they yield.

A station decides per control point and material how far a weighing may stray from its quota
standard A before it is an anomaly. The policies are the ones Chinese stations write into their
quota rules (定额管理制度):

- **absolute** — C = a fixed number of kilograms;
- **percentage** — C = p % of A;
- **lenient max** — the larger of both (small loads get the absolute, big ones the percentage);
- **strict min** — the smaller of both (neither may be exceeded);
- **value cap** — C ≤ the money the station accepts at risk ÷ the unit price (fen per kg), so
  a dear material is held tighter than its weight alone would;
- **asymmetric** — a shortfall (C⁻) and an excess (C⁺) may have different bands, because a
  shortfall loses material while an excess usually means water or dirt;
- **floor** — C is never below n × the scale division e: a policy tighter than the scale can
  resolve would turn rounding into anomalies.

The order is fixed and documented: the policy's band, then the value cap, then the floor — the
floor comes last so that no configuration can make C smaller than the scale resolves.

All weights are `Decimal` kg at 0.001 kg (ROUND_HALF_UP). One deliberate exception: the value
cap is rounded *down* to the gram, because it is a ceiling on money and rounding it up would
let through a deviation that costs more than the limit.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import Invalid

KG = Decimal("0.001")
MAX_KG = Decimal(10) ** 9  # a million tonnes: far above any weighing, far below Decimal's limits
DEFAULT_FLOOR_DIVISIONS = 2


def N_(message: str) -> str:
    """Mark a message for extraction (`pybabel -k N_`) where no domain error call shows it;
    the web shell translates it when shown. (core.i18n has the same marker.)"""
    return message


def kg(value: Decimal | int | str, field: str) -> Decimal:
    """`value` as kg quantized to 0.001 (half up); a non-number is an Invalid naming `field`.

    Floats are a programming error (TypeError): 0.1 + 0.2 != 0.3 would move a check.
    """
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{field} must be a Decimal, an int or a str, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise Invalid("重量必须是数字（千克）", {field: "not a number"}) from exc
    if not number.is_finite() or abs(number) > MAX_KG:
        raise Invalid("重量超出可处理的范围", {field: "out of range"})
    result = number.quantize(KG, rounding=ROUND_HALF_UP)
    return result.copy_abs() if result == 0 else result  # no "-0.000" in records


def non_negative_kg(value: Decimal | int | str, field: str) -> Decimal:
    """Like `kg`, refusing a negative weight (no scale, tare or standard weighs less than 0)."""
    result = kg(value, field)
    if result < 0:
        raise Invalid("重量不能为负数", {field: "negative"})
    return result


class ControlPoint(enum.StrEnum):
    """The four quota control points of the station (CP1 … CP4)."""

    RECEIVE = "receive"  # CP1 收料
    SORT = "sort"  # CP2 分拣
    BALE = "bale"  # CP3 打包
    OUTBOUND = "outbound"  # CP4 出库


class Side(enum.StrEnum):
    """Which way a weighing strays from its standard; the sign of D = B − A."""

    SHORTFALL = "shortfall"  # D < 0: less than the standard (material missing)
    EXCESS = "excess"  # D > 0: more than the standard (water, dirt, someone else's load)
    EXACT = "exact"  # D = 0


class Basis(enum.StrEnum):
    """How a band turns A into a tolerance."""

    ABSOLUTE = "absolute"
    PERCENTAGE = "percentage"
    LENIENT_MAX = "lenient_max"
    STRICT_MIN = "strict_min"


class Source(enum.StrEnum):
    """Which rule set the tolerance actually applied, so a page can say why C is what it is."""

    POLICY = "policy"
    VALUE_CAP = "value_cap"
    FLOOR = "floor"


_NEEDS = {
    Basis.ABSOLUTE: (True, False),
    Basis.PERCENTAGE: (False, True),
    Basis.LENIENT_MAX: (True, True),
    Basis.STRICT_MIN: (True, True),
}


@dataclass(frozen=True)
class Band:
    """One side's band: a basis with the absolute kg and/or the percentage of A it uses."""

    basis: Basis
    absolute_kg: Decimal | None = None
    percent: Decimal | None = None

    def raw(self, a: Decimal) -> Decimal:
        """The band's tolerance for standard `a`, before rounding, cap and floor."""
        absolute = self.absolute_kg if self.absolute_kg is not None else Decimal(0)
        share = a * self.percent / 100 if self.percent is not None else Decimal(0)
        if self.basis is Basis.ABSOLUTE:
            return absolute
        if self.basis is Basis.PERCENTAGE:
            return share
        if self.basis is Basis.LENIENT_MAX:
            return max(absolute, share)
        return min(absolute, share)


@dataclass(frozen=True)
class Limit:
    """The tolerance applied to one check and the rule that set it."""

    c: Decimal
    source: Source


@dataclass(frozen=True)
class Tolerance:
    """A validated tolerance policy: bands for shortfall and excess, value cap, floor.

    `excess` None means symmetric (the shortfall band on both sides). `value_cap_fen` is the
    money at risk the station accepts on one weighing; `floor_divisions` is n in n × e
    (default 2: B is a difference of two readings, each rounded to ±e/2, plus ±e of
    stability, so a 2e deviation is what the scale itself can produce).
    """

    shortfall: Band
    excess: Band | None = None
    value_cap_fen: int | None = None
    floor_divisions: int = DEFAULT_FLOOR_DIVISIONS

    def __post_init__(self) -> None:
        # the frozen-dataclass idiom: store the validated, normalised copies of the bands
        object.__setattr__(self, "shortfall", _checked_band(self.shortfall, "shortfall"))
        if self.excess is not None:
            object.__setattr__(self, "excess", _checked_band(self.excess, "excess"))
        if self.value_cap_fen is not None and (
            isinstance(self.value_cap_fen, bool)
            or not isinstance(self.value_cap_fen, int)
            or self.value_cap_fen <= 0
        ):
            raise Invalid("金额上限必须是正整数（分）", {"value_cap_fen": "not a positive integer"})
        if (
            isinstance(self.floor_divisions, bool)
            or not isinstance(self.floor_divisions, int)
            or not 1 <= self.floor_divisions <= 100
        ):
            raise Invalid(
                "容差下限必须是 1 至 100 个检定分度值", {"floor_divisions": "not in 1..100"}
            )

    def band(self, side: Side) -> Band:
        """The band for `side`; an exact weighing uses the shortfall band (C⁻)."""
        if side is Side.EXCESS and self.excess is not None:
            return self.excess
        return self.shortfall

    def limit(
        self,
        a: Decimal,
        side: Side,
        *,
        division_kg: Decimal,
        unit_price_fen: Decimal | int | None = None,
    ) -> Limit:
        """C for standard `a` on `side`: band, then value cap, then the floor n × e."""
        a = non_negative_kg(a, "a")
        e = division(division_kg)
        c = self.band(side).raw(a).quantize(KG, rounding=ROUND_HALF_UP)
        source = Source.POLICY
        if self.value_cap_fen is not None:
            price = unit_price(unit_price_fen, required=True)
            assert price is not None  # required=True never returns None
            cap = (Decimal(self.value_cap_fen) / price).quantize(KG, rounding=ROUND_DOWN)
            if cap < c:
                c, source = cap, Source.VALUE_CAP
        floor = self.floor_divisions * e
        if c < floor:
            c, source = floor, Source.FLOOR
        return Limit(c, source)


def _checked_band(band: Band, prefix: str) -> Band:
    """A copy of `band` with its basis and numbers checked; errors name `prefix.field`."""
    if not isinstance(band, Band):
        raise TypeError(f"{prefix} must be a Band")
    try:
        basis = Basis(band.basis)
    except ValueError as exc:
        raise Invalid("未知的容差方式", {f"{prefix}.basis": "unknown"}) from exc
    numbers: dict[str, Decimal | None] = {"absolute_kg": None, "percent": None}
    needs_absolute, needs_percent = _NEEDS[basis]
    for name, needed in (("absolute_kg", needs_absolute), ("percent", needs_percent)):
        field = f"{prefix}.{name}"
        value = getattr(band, name)
        if value is None:
            if needed:
                raise Invalid("该容差方式需要填写此项", {field: "required"})
            continue
        if not needed:
            raise Invalid("该容差方式不使用此项", {field: "not used by this basis"})
        if name == "absolute_kg":
            numbers[name] = non_negative_kg(value, field)
        else:
            numbers[name] = _percent(value, field)
    return Band(basis, numbers["absolute_kg"], numbers["percent"])


def _percent(value: Decimal | int | str, field: str) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{field} must be a Decimal, an int or a str")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise Invalid("百分比必须是数字", {field: "not a number"}) from exc
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise Invalid("百分比必须在 0 至 100 之间", {field: "not in 0..100"})
    return number


def division(value: Decimal | int | str) -> Decimal:
    """The scale division e in kg: positive and resolvable at 0.001 kg."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise TypeError("division_kg must be a Decimal, an int or a str")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise Invalid("分度值必须是数字（千克）", {"division_kg": "not a number"}) from exc
    if not number.is_finite() or number <= 0 or number > MAX_KG:
        raise Invalid("分度值必须大于 0", {"division_kg": "not positive"})
    if number != number.quantize(KG, rounding=ROUND_HALF_UP):
        raise Invalid("分度值不能小于 0.001 千克", {"division_kg": "finer than 0.001 kg"})
    return number


def unit_price(value: Decimal | int | None, *, required: bool = False) -> Decimal | None:
    """A unit price in fen per kg (a Decimal: 1,655 元/t is 165.5 分/kg); positive."""
    if value is None:
        if required:
            raise Invalid("该容差策略含金额上限，需要单价", {"unit_price_fen": "required"})
        return None
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError("unit_price_fen must be a Decimal or an int (fen per kg)")
    number = Decimal(value)
    if not number.is_finite() or number <= 0 or number > MAX_KG:
        raise Invalid("单价必须大于 0（分/千克）", {"unit_price_fen": "not positive"})
    return number


@dataclass(frozen=True)
class Policy:
    """A tolerance configured for a control point and a material; material None = the default."""

    point: ControlPoint
    material: str | None
    tolerance: Tolerance


def resolve(policies: Sequence[Policy], point: ControlPoint, material: str | None) -> Tolerance:
    """The policy for (point, material), else the point's default; none at all is refused.

    Two policies for the same (point, material) are refused rather than one silently winning.
    """
    seen: set[tuple[ControlPoint, str | None]] = set()
    specific = default = None
    for i, policy in enumerate(policies):
        key = (ControlPoint(policy.point), policy.material)
        if key in seen:
            raise Invalid("同一控制点和物料的容差策略重复", {f"policies[{i}]": "duplicate"})
        seen.add(key)
        if key[0] is ControlPoint(point):
            if policy.material is None:
                default = policy.tolerance
            elif material is not None and policy.material == material:
                specific = policy.tolerance
    chosen = specific or default
    if chosen is None:
        raise Invalid(
            "控制点 %(point)s 没有配置默认容差", {"point": "no default tolerance"}, point=point
        )
    return chosen
