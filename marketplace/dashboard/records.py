"""The plain records the indicator formulas read: no Flask, no database.

`sources.py` fills them from the platform's tables; tests build them by hand. Weights are integer
grams; money integer fen; times timezone-aware UTC. Where the platform aggregates many rows into
one record (weighings), the record carries its count so rates stay exact.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

# The local days the dashboard answers for: beyond them a period's UTC bounds (and the previous
# period before it) overflow `datetime`, so every period argument is checked against these.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
TZ = ZoneInfo("Asia/Shanghai")  # the cluster's calendar: periods are its local days


@dataclass(frozen=True)
class Period:
    """A closed date range [start, end] in the cluster's local calendar."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def locator(spans: list[tuple[Any, Any]], closed: bool = False) -> Callable[[Any], int | None]:
    """Which of the non-overlapping spans (index, in the order given) holds a value, by
    bisection over their starts, sorted once: [lo, hi), or [lo, hi] when `closed`."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    starts = [spans[i][0] for i in order]

    def find(value: Any) -> int | None:
        k = bisect_right(starts, value) - 1
        if k < 0:
            return None
        i = order[k]
        end = spans[i][1]
        return i if (value <= end if closed else value < end) else None

    return find


def utc_bounds(period: Period) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00) in Asia/Shanghai, as UTC."""
    lo = datetime.combine(period.start, time(), TZ).astimezone(UTC)
    hi = datetime.combine(period.end + timedelta(days=1), time(), TZ).astimezone(UTC)
    return lo, hi


@dataclass(frozen=True)
class LotRec:
    """A lot offered in the period (listing, sale close, passport state)."""

    id: int
    org_id: int
    family: str
    declared_g: int
    listed_at: datetime | None = None
    sale_closed_at: datetime | None = None  # the auction / offer window ended in the period
    sold: bool = False
    hazardous: bool = False
    producer: bool = True  # listed by a factory (not a station selling its bales)
    weighed_g: int | None = None  # its trade's weighed net, once weighed


@dataclass(frozen=True)
class TradeRec:
    """A trade with the weights, money and times the market, escrow and passport recorded."""

    id: int
    lot_id: int
    seller_id: int
    buyer_id: int
    family: str
    declared_g: int
    price_fen_per_t: int
    created_at: datetime
    status: str = "awarded"
    weighed_g: int | None = None  # the weighbridge / station net on delivery
    factor_material: str | None = None
    reserve_fen_per_t: int | None = None
    index_fen_per_t: int | None = None
    listed_at: datetime | None = None
    picked_up_at: datetime | None = None
    pickup_due_at: datetime | None = None
    delivered_at: datetime | None = None
    settled_at: datetime | None = None
    closed_at: datetime | None = None
    end_use_kind: str | None = None
    disputed: bool = False
    buyer_in_cluster: bool = True
    producer_seller: bool = True
    passport_complete: bool | None = None  # None: no passport chain at all

    @property
    def weighed(self) -> bool:
        return self.weighed_g is not None

    @property
    def net_g(self) -> int:
        """Weighed net first; the declared quantity only when never weighed."""
        return self.weighed_g if self.weighed_g is not None else self.declared_g

    @property
    def value_fen(self) -> int:
        return self.price_fen_per_t * self.net_g // 1_000_000

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None and self.status != "cancelled"


@dataclass(frozen=True)
class WeighingGroup:
    """Station weighings of one kind summed: count, net and deductions (grams); `station_id`
    None when summed over the stations (as the daily summaries hand them out)."""

    station_id: int | None
    stage: str  # receive, sort, bale, warehouse_in, outbound …
    result: str  # normal, anomaly, no_standard
    family: str
    count: int
    net_g: int
    deduction_g: int = 0
    factory_id: int | None = None


@dataclass(frozen=True)
class TripRec:
    """A published dispatch plan's driven kilometres and loads (from its stored KPIs)."""

    plan_id: int
    org_id: int
    day: date
    km: Decimal
    empty_km: Decimal
    load_factor: Decimal
    vehicles: int
    pickups: int
    on_time: int = 0  # confirmed pickups inside their window
    confirmed: int = 0  # confirmed pickups


@dataclass(frozen=True)
class OrgReport:
    """What an organisation reports for a month (value added, inputs, capacity, prior stock)."""

    org_id: int
    month: date
    value_added_fen: int | None = None
    virgin_input_g: int | None = None
    recycled_input_g: int | None = None
    capacity_g: int | None = None
    prior_stock_utilised_g: int | None = None


@dataclass(frozen=True)
class OrgRec:
    """A member organisation and whether it did anything in the period."""

    id: int
    kind: str
    active: bool


@dataclass(frozen=True)
class FactorRef:
    """Where a number came from: the factor row and its edition."""

    key: str
    value: Decimal
    unit: str
    version: str
    source: str
    source_table: str = ""
    laden: str = ""


@dataclass(frozen=True)
class Factors:
    """The factor table of one basis: recycling by material, transport by laden state."""

    recycling: dict[str, FactorRef] = field(default_factory=dict)
    transport_laden: FactorRef | None = None
    transport_empty: FactorRef | None = None


@dataclass(frozen=True)
class DeliveredGroup:
    """Trades delivered in a period (not cancelled) alike in everything the formulas tell
    apart, summed: net weight (weighed, else declared) and value (each trade's fen, floored)."""

    family: str
    factor_material: str | None
    utilised: bool  # not sent to disposal
    buyer_in_cluster: bool
    weighed: bool
    disputed: bool
    count: int
    net_g: int
    value_fen: int


@dataclass(frozen=True)
class Spread:
    """How long something took over the trades that count: how many, the median and the 90th
    percentile (the smallest duration at or above 90 % of them), in seconds."""

    n: int = 0
    median_s: Decimal | None = None
    p90_s: int | None = None


@dataclass(frozen=True)
class MarketFacts:
    """The market's side of one period as the formulas read it: sums and counts, and the
    spread of the durations. `market.summarise` makes it from trade and lot records; the
    dashboard reads it summed in SQL (`market_sql`), and a test holds the two equal."""

    delivered: tuple[DeliveredGroup, ...] = ()
    generated_g: int = 0  # producers' lots listed in the period: weighed net, else declared
    generated_lots: int = 0
    generated_weighed: int = 0  # of those, counted by weighed net
    lead: Spread = Spread()  # listing → pickup, lots picked up in the period
    lead_by_delivery: int = 0  # of those, timed by delivery for want of a confirmed pickup
    settle: Spread = Spread()  # delivery → settlement, trades settled in the period
    sales_ended: int = 0
    sales_sold: int = 0
    priced: int = 0  # trades made in the period, not cancelled
    reserved: int = 0  # of those, with a reserve price
    reserve_got: int = 0  # Σ price × declared g of the reserved ones
    reserve_ask: int = 0  # Σ reserve × declared g
    indexed: int = 0
    index_got: int = 0
    index_ask: int = 0
    closed: int = 0  # trades closed in the period
    closed_complete: int = 0  # of those, with a complete passport


@dataclass(frozen=True)
class Records:
    """Everything the formulas read for one period and scope, plus why a source is missing."""

    period: Period
    lots: list[LotRec] = field(default_factory=list)
    trades: list[TradeRec] = field(default_factory=list)
    weighings: list[WeighingGroup] = field(default_factory=list)
    trips: list[TripRec] = field(default_factory=list)
    reports: list[OrgReport] = field(default_factory=list)
    orgs: list[OrgRec] = field(default_factory=list)
    factors: Factors = field(default_factory=Factors)
    market: MarketFacts | None = None  # summed in SQL; None: sum `trades` and `lots`
