"""The market's records of a period summed the way the formulas read them (pure).

The formulas read `MarketFacts`, never trade lists, so the dashboard can hand them sums made
in SQL (`market_sql`) instead of a year of trades; hand-built records (the indicator tests, the
drill-downs) are summed here. Which trades count where is decided once, in this file:
- delivered: delivered in the period and not cancelled;
- generated: producers' lots listed in the period, by their trade's weighed net once weighed;
- lead time: lots picked up in the period (the driver's confirmation, else the delivery);
- settlement: trades settled in the period that were delivered;
- price: trades made in the period and not cancelled; clearance: sales that ended in it;
- traceability: trades closed in the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple
from decimal import Decimal

from marketplace.dashboard.records import (
    DeliveredGroup,
    LotRec,
    MarketFacts,
    Period,
    Records,
    Spread,
    TradeRec,
)


def of(r: Records) -> MarketFacts:
    """The facts of the records: as loaded in SQL, else summed from the trades and lots."""
    return r.market if r.market is not None else summarise(r.period, r.trades, r.lots)


def in_period(period: Period, at: object) -> bool:
    if at is None:
        return False
    d = at.date() if hasattr(at, "date") else at  # type: ignore[attr-defined]
    return period.start <= d <= period.end  # type: ignore[operator]


def seconds(later: object, earlier: object) -> int:
    return int((later - earlier).total_seconds())  # type: ignore[operator]


def spread(durations: list[int]) -> Spread:
    """Median (the mean of the middle two of an even count, as `statistics.median`) and p90 of
    whole seconds; PostgreSQL's percentile_cont(0.5) and percentile_disc(0.9) give the same."""
    if not durations:
        return Spread()
    s, n = sorted(durations), len(durations)
    mid = n // 2
    median = Decimal(s[mid]) if n % 2 else Decimal(s[mid - 1] + s[mid]) / 2
    return Spread(n, median, s[min(n - 1, max(0, -(-9 * n // 10) - 1))])


def in_order(groups: Iterable[DeliveredGroup]) -> tuple[DeliveredGroup, ...]:
    """Delivered groups in one order whatever made them (so two facts compare equal)."""
    return tuple(sorted(groups, key=lambda g: repr(astuple(g)[:6])))


def summarise(period: Period, trades: list[TradeRec], lots: list[LotRec]) -> MarketFacts:
    sums: dict[tuple[object, ...], list[int]] = {}
    for t in trades:
        if t.delivered and in_period(period, t.delivered_at):
            key = (
                t.family,
                t.factor_material,
                t.end_use_kind != "disposal",
                t.buyer_in_cluster,
                t.weighed,
                t.disputed,
            )
            acc = sums.setdefault(key, [0, 0, 0])
            acc[0], acc[1], acc[2] = acc[0] + 1, acc[1] + t.net_g, acc[2] + t.value_fen
    listed = [x for x in lots if x.producer and in_period(period, x.listed_at)]
    picked = [
        t
        for t in trades
        if t.listed_at is not None and in_period(period, t.picked_up_at or t.delivered_at)
    ]
    settled = [t for t in trades if in_period(period, t.settled_at) and t.delivered_at is not None]
    made = [t for t in trades if in_period(period, t.created_at) and t.status != "cancelled"]
    reserved = [t for t in made if t.reserve_fen_per_t]
    indexed = [t for t in made if t.index_fen_per_t]
    ended = [x for x in lots if in_period(period, x.sale_closed_at)]
    closed = [t for t in trades if in_period(period, t.closed_at)]
    return MarketFacts(
        delivered=in_order(DeliveredGroup(*k, *v) for k, v in sums.items()),  # type: ignore[arg-type]
        generated_g=sum(x.weighed_g if x.weighed_g is not None else x.declared_g for x in listed),
        generated_lots=len(listed),
        generated_weighed=sum(1 for x in listed if x.weighed_g is not None),
        lead=spread([seconds(t.picked_up_at or t.delivered_at, t.listed_at) for t in picked]),
        lead_by_delivery=sum(1 for t in picked if t.picked_up_at is None),
        settle=spread([seconds(t.settled_at, t.delivered_at) for t in settled]),
        sales_ended=len(ended),
        sales_sold=sum(1 for x in ended if x.sold),
        priced=len(made),
        reserved=len(reserved),
        reserve_got=sum(t.price_fen_per_t * t.declared_g for t in reserved),
        reserve_ask=sum((t.reserve_fen_per_t or 0) * t.declared_g for t in reserved),
        indexed=len(indexed),
        index_got=sum(t.price_fen_per_t * t.declared_g for t in indexed),
        index_ask=sum((t.index_fen_per_t or 0) * t.declared_g for t in indexed),
        closed=len(closed),
        closed_complete=sum(1 for t in closed if t.passport_complete),
    )
