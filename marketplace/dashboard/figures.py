"""What every indicator formula shares: the `Figure` it returns, the `Drill` to its records,
the no-data reasons and bases (Chinese msgids marked with `N_`), and the weight rules (weighed
net first, declared only when unweighed). Pure: no Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.i18n import N_
from marketplace.dashboard import market
from marketplace.dashboard.records import FactorRef, Records, TradeRec

WEIGHED = N_("称重净重")
DECLARED = N_("申报重量(未称重)")
MIXED = N_("称重净重，未称重的按申报重量")
NOTHING = N_("本期无记录")
NO_TRADES = N_("本期无到货交易")
NO_REPORTS = N_("企业尚未填报")
NO_TRIPS = N_("本期无已发布的调度路线")
NO_WEIGHINGS = N_("本期无回收站称重记录")
NO_FACTOR = N_("缺少该物料的排放因子")
NO_TRANSPORT_FACTOR = N_("缺少运输排放因子")
SOME_NO_FACTOR = N_("部分物料缺少排放因子，未计入")
NO_PASSPORTS = N_("本期无已关闭的批次")
NO_SALES = N_("本期无截止的挂牌")
NO_RESERVE = N_("本期成交均无保留价")
NO_CAPACITY = N_("回收站尚未填报产能")
NO_PICKUPS = N_("本期无已确认的提货")
NO_ORGS = N_("范围内无企业")

PCT = "%"
TONNE = "t"
T_CO2E = "t CO2e"
MILLION = Decimal(1_000_000)
WAN_YUAN_FEN = Decimal(1_000_000)  # 1 万元 = 10,000 元 = 1,000,000 分


@dataclass(frozen=True)
class Drill:
    """How to list the records behind a figure: a record kind and a filter."""

    kind: str
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """One indicator's value with everything needed to trust, explain and drill into it."""

    key: str
    value: Decimal | None
    unit: str
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    basis: str = ""
    no_data: str | None = None
    factor: FactorRef | None = None
    records: Drill = field(default_factory=lambda: Drill("trades"))
    factors: tuple[FactorRef, ...] = ()
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def q(value: Decimal, places: str = "0.001") -> Decimal:
    """Round half up to a display precision (figures, not money)."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def tonnes(grams: int) -> Decimal:
    return Decimal(grams) / MILLION


def ratio_pct(num: Decimal, den: Decimal) -> Decimal:
    return q(num * 100 / den, "0.01")


def missing(key: str, unit: str, reason: str, kind: str = "trades", **kw: Any) -> Figure:
    return Figure(key, None, unit, no_data=reason, records=Drill(kind), **kw)


def weight_basis(trades: Iterable[Any]) -> str:
    """Weighed, declared or mixed, over trades or delivered groups (anything with `weighed`)."""
    flags = {t.weighed for t in trades}
    if flags == {True}:
        return WEIGHED
    if flags == {False}:
        return DECLARED
    return MIXED


def delivered(r: Records) -> list[TradeRec]:
    return [t for t in r.trades if t.delivered and market.in_period(r.period, t.delivered_at)]


def utilised(t: TradeRec) -> bool:
    """Delivered to a recycler and not sent to disposal (综合利用 includes energy recovery)."""
    return t.end_use_kind != "disposal"


def generated_g(r: Records) -> tuple[int, str]:
    """Waste generated in scope: factories' lots listed in the period (weighed net once their
    trade is weighed, else declared) plus what stations received from factories on their scales."""
    m = market.of(r)
    weighed = set()
    if m.generated_weighed:
        weighed.add(True)
    if m.generated_lots > m.generated_weighed:
        weighed.add(False)
    received = [w for w in r.weighings if w.stage == "receive"]
    grams = m.generated_g + sum(w.net_g for w in received)
    if received:
        weighed.add(True)
    basis = WEIGHED if weighed == {True} else DECLARED if weighed == {False} else MIXED
    return grams, basis
