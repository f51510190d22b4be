"""The station's reports as pure builders over plain rows, and their CSV and XLSX files.

- 单日库存结余表 (daily balance) per location × material: opening + in − out ± adjustments =
  closing; against the recorded closing stock the residual must be zero, and a non-zero
  residual or a negative closing flags the row.
- 过程记录表 (process records): every weighing's A, B, C, D, x, result, tier, operator, work
  order and line, scale and raw-frame hash in time order, re-weighs linked both ways; a row
  that breaks D = B − A or "normal iff |D| ≤ C", or a scale reading without its frame hash, is
  marked inconsistent.
- 再生资源处置报表 (disposal report) per period × factory × received material: recovered = the
  sorted outputs not marked loss, loss = received − recovered (so it includes what vanished
  unweighed), loss rate = 1 − recovery rate; each flow counts in the period it happened in,
  attributed by the services to the received material it came from (package lineage).

Plain frozen rows in, so the benchmark and the tests need no database. CSV is UTF-8 with a BOM
and CRLF; XLSX keeps numbers as numbers; text a spreadsheet would run as a formula gets a
leading apostrophe (`core.tabular.safe_cell`, which the lots export uses too).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from station.quota import Check, Result
from station.report_files import safe_text as safe_text
from station.report_files import to_csv as to_csv
from station.report_files import to_xlsx as to_xlsx
from station.tolerance import N_

ZERO = Decimal(0)
RATE = Decimal("0.0001")


@dataclass(frozen=True)
class Column:
    """A report column: the row attribute, its Chinese header (a msgid), optional formatter."""

    key: str
    header: str
    format: Callable[[Any], Any] | None = None


# ---- 单日库存结余表 -----------------------------------------------------------------------


class MovementKind(enum.StrEnum):
    """A stock movement: in, out, or a signed adjustment (盘盈 + / 盘亏 −)."""

    IN = "in"
    OUT = "out"
    ADJUST = "adjust"


@dataclass(frozen=True)
class Stock:
    """Stock of a material at a location (kg)."""

    location: str
    material: str
    kg: Decimal


@dataclass(frozen=True)
class Movement:
    """One movement of the day; `kg` ≥ 0 for in/out, signed for an adjustment."""

    location: str
    material: str
    kind: MovementKind
    kg: Decimal


@dataclass(frozen=True)
class BalanceRow:
    """One location × material line of the daily balance."""

    location: str
    material: str
    opening_kg: Decimal
    in_kg: Decimal
    out_kg: Decimal
    adjust_kg: Decimal
    closing_kg: Decimal
    recorded_kg: Decimal | None
    residual_kg: Decimal
    flagged: bool


def daily_balance(
    opening: Sequence[Stock],
    movements: Sequence[Movement],
    closing: Sequence[Stock] | None = None,
) -> list[BalanceRow]:
    """The day's balance per (location, material), sorted; `closing` is the recorded stock.

    Every key seen in opening, movements or closing gets a row. Without `closing` the
    residual is zero by construction and only a negative closing flags a row.
    """
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO] * 4)
    for stock in opening:
        totals[(stock.location, stock.material)][0] += stock.kg
    for move in movements:
        line = totals[(move.location, move.material)]
        kind = MovementKind(move.kind)
        if kind is not MovementKind.ADJUST and move.kg < 0:
            raise ValueError(f"{kind} movement with negative kg: {move}")
        line[{MovementKind.IN: 1, MovementKind.OUT: 2, MovementKind.ADJUST: 3}[kind]] += move.kg
    recorded: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for stock in closing or ():
        key = (stock.location, stock.material)
        recorded[key] += stock.kg
        totals.setdefault(key, [ZERO] * 4)  # a recorded stock without movements gets a row
    rows = []
    for key in sorted(totals):
        start, inbound, outbound, adjust = totals[key]
        end = start + inbound - outbound + adjust
        book = recorded[key] if closing is not None else None
        residual = ZERO if book is None else book - end
        rows.append(
            BalanceRow(
                location=key[0],
                material=key[1],
                opening_kg=start,
                in_kg=inbound,
                out_kg=outbound,
                adjust_kg=adjust,
                closing_kg=end,
                recorded_kg=book,
                residual_kg=residual,
                flagged=residual != 0 or end < 0,
            )
        )
    return rows


def residual(rows: Iterable[BalanceRow]) -> Decimal:
    """Σ residual of a balance: zero when the books close."""
    return sum((row.residual_kg for row in rows), ZERO)


BALANCE_COLUMNS = (
    Column("location", N_("库位")),
    Column("material", N_("物料")),
    Column("opening_kg", N_("期初结存（千克）")),
    Column("in_kg", N_("本日入库（千克）")),
    Column("out_kg", N_("本日出库（千克）")),
    Column("adjust_kg", N_("盘盈盘亏（千克）")),
    Column("closing_kg", N_("期末结存（千克）")),
    Column("recorded_kg", N_("账面结存（千克）")),
    Column("residual_kg", N_("差额（千克）")),
    Column("flagged", N_("异常")),
)


# ---- 过程记录表 -------------------------------------------------------------------------


@dataclass(frozen=True)
class Weighing:
    """A stored weighing as the process record reads it."""

    id: int
    at: datetime
    point: str
    material: str
    operator: str
    scale: str
    check: Check
    tier: int | None = None
    manual: bool = False
    frame_hash: str | None = None
    reweigh_of: int | None = None
    work_order: str = ""  # the order the weighing was booked against (its number)
    line: str = ""  # 产线/班组: the order's line when booked against one


@dataclass(frozen=True)
class ProcessRow:
    """One line of the process record."""

    id: int
    at: datetime
    point: str
    material: str
    operator: str
    scale: str
    a: Decimal | None
    b: Decimal
    c: Decimal | None
    d: Decimal | None
    x: Decimal | None
    result: str
    sign: str | None
    tier: int | None
    manual: bool
    frame_hash: str | None
    reweigh_of: int | None
    superseded_by: int | None
    consistent: bool
    work_order: str = ""
    line: str = ""


def _consistent(w: Weighing) -> bool:
    c = w.check
    if not w.manual and not w.frame_hash:
        return False  # a scale reading is only as good as the frame it came from
    if c.a is None:
        return c.result is Result.NO_STANDARD and c.d is None
    if c.d is None or c.c is None or c.d != c.b - c.a:
        return False
    return (c.result is Result.NORMAL) == (abs(c.d) <= c.c) and c.result is not Result.NO_STANDARD


# the ProcessRow fields copied as they are from the Weighing
_FROM_WEIGHING = (
    *("id", "at", "point", "material", "operator", "scale"),
    *("tier", "manual", "frame_hash", "reweigh_of", "work_order", "line"),
)


def process_records(weighings: Sequence[Weighing]) -> list[ProcessRow]:
    """Every weighing in time order (then id), with re-weighs linked and consistency checked."""
    superseded = {w.reweigh_of: w.id for w in weighings if w.reweigh_of is not None}
    rows = []
    for w in sorted(weighings, key=lambda w: (w.at, w.id)):
        c = w.check
        x = None if c.x is None else c.x.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        shared = {name: getattr(w, name) for name in _FROM_WEIGHING}
        rows.append(
            ProcessRow(
                **shared,
                a=c.a,
                b=c.b,
                c=c.c,
                d=c.d,
                x=x,
                result=c.result.value,
                sign=None if c.sign is None else c.sign.value,
                superseded_by=superseded.get(w.id),
                consistent=_consistent(w),
            )
        )
    return rows


PROCESS_COLUMNS = (
    Column("id", N_("记录号")),
    Column("at", N_("称重时间")),
    Column("point", N_("控制点")),
    Column("material", N_("物料")),
    Column("a", N_("定额标准 A（千克）")),
    Column("b", N_("实际净重 B（千克）")),
    Column("c", N_("允许偏差 C（千克）")),
    Column("d", N_("偏差 D（千克）")),
    Column("x", N_("偏差倍数 |D|/C")),
    Column("result", N_("结果")),
    Column("tier", N_("预警级别")),
    Column("manual", N_("手工录入")),
    Column("operator", N_("操作员")),
    Column("work_order", N_("工单")),
    Column("line", N_("产线/班组")),
    Column("scale", N_("衡器")),
    Column("frame_hash", N_("原始数据哈希")),
    Column("reweigh_of", N_("复称自")),
    Column("superseded_by", N_("已被复称")),
    Column("consistent", N_("数据一致")),
)


# ---- 再生资源处置报表 ---------------------------------------------------------------------


class FlowKind(enum.StrEnum):
    """What a flow of material is."""

    RECEIVED = "received"
    SORTED = "sorted"
    BALED = "baled"
    SHIPPED = "shipped"


class Period(enum.StrEnum):
    """How the disposal report groups time (local calendar)."""

    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday first
    MONTH = "month"


@dataclass(frozen=True)
class Flow:
    """A weighed flow attributed to the factory and received material it came from."""

    at: datetime
    factory: str
    material: str
    kind: FlowKind
    kg: Decimal
    output: str | None = None  # for sorted, baled and shipped: what the material became
    loss: bool = False  # a sorted output that is loss (disposed of, not recovered)
    result: Result | None = None  # the quota result of the weighing behind the flow
    count: int = 1  # weighings the flow stands for (the database sums alike ones in SQL)


@dataclass(frozen=True)
class DisposalRow:
    """One period × factory × material line of the disposal report."""

    period: str
    factory: str
    material: str
    received_kg: Decimal
    sorted_kg: Decimal
    outputs: tuple[tuple[str, Decimal], ...]
    recovered_kg: Decimal
    loss_kg: Decimal
    baled_kg: Decimal
    shipped_kg: Decimal
    recovery_rate: Decimal | None
    loss_rate: Decimal | None
    weighings: int
    anomalies: int
    no_standard: int


def period_label(at: datetime, period: Period, tz: str = "Asia/Shanghai") -> str:
    """The local period an instant falls in: 2026-12-01, 2026-W49 or 2026-12."""
    if at.tzinfo is None:
        raise ValueError("flow times must be timezone-aware")
    day = at.astimezone(ZoneInfo(tz)).date()
    if period is Period.DAY:
        return day.isoformat()
    if period is Period.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def disposal_report(
    flows: Sequence[Flow], period: Period = Period.MONTH, tz: str = "Asia/Shanghai"
) -> list[DisposalRow]:
    """The disposal report, sorted by period, factory, material; rates to 0.01 %."""
    period = Period(period)
    groups: dict[tuple[str, str, str], list[Flow]] = defaultdict(list)
    for flow in flows:
        groups[(period_label(flow.at, period, tz), flow.factory, flow.material)].append(flow)
    rows = []
    for key in sorted(groups):
        sums = dict.fromkeys(FlowKind, ZERO)
        outputs: dict[str, Decimal] = defaultdict(lambda: ZERO)
        recovered = ZERO
        counts = {Result.ANOMALY: 0, Result.NO_STANDARD: 0}
        weighed = 0
        for flow in groups[key]:
            kind = FlowKind(flow.kind)
            sums[kind] += flow.kg
            if kind is FlowKind.SORTED:
                outputs[flow.output or ""] += flow.kg
                if not flow.loss:
                    recovered += flow.kg
            if flow.result is not None:
                weighed += flow.count
                if flow.result in counts:
                    counts[flow.result] += flow.count
        received = sums[FlowKind.RECEIVED]
        rate = None if received == 0 else (recovered / received).quantize(RATE, ROUND_HALF_UP)
        rows.append(
            DisposalRow(
                period=key[0],
                factory=key[1],
                material=key[2],
                received_kg=received,
                sorted_kg=sums[FlowKind.SORTED],
                outputs=tuple(sorted(outputs.items())),
                recovered_kg=recovered,
                loss_kg=received - recovered,
                baled_kg=sums[FlowKind.BALED],
                shipped_kg=sums[FlowKind.SHIPPED],
                recovery_rate=rate,
                loss_rate=None if rate is None else 1 - rate,
                weighings=weighed,
                anomalies=counts[Result.ANOMALY],
                no_standard=counts[Result.NO_STANDARD],
            )
        )
    return rows


DISPOSAL_COLUMNS = (
    Column("period", N_("期间")),
    Column("factory", N_("产废企业")),
    Column("material", N_("物料")),
    Column("received_kg", N_("收料量（千克）")),
    Column("sorted_kg", N_("分拣产出（千克）")),
    Column("outputs", N_("分拣明细")),
    Column("recovered_kg", N_("回收利用量（千克）")),
    Column("loss_kg", N_("损耗量（千克）")),
    Column("baled_kg", N_("打包量（千克）")),
    Column("shipped_kg", N_("出库量（千克）")),
    Column("recovery_rate", N_("回收率")),
    Column("loss_rate", N_("损耗率")),
    Column("weighings", N_("称重次数")),
    Column("anomalies", N_("异常次数")),
    Column("no_standard", N_("无定额次数")),
)
