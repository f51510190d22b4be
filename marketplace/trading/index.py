"""The weekly regional price index per grade, pure: the volume-weighted median of cleared prices.

A weighted median, not a mean: one odd trade (a distressed sale, a typo caught late) moves a
mean but not the median, and weighting by tonnes keeps a 20-t lot from counting like a 0.5-t
one. Prices are per contract-moisture tonne (settlement already adjusted the quantity for paper),
and weights are the settled, moisture-adjusted tonnes. Weeks start on Monday (ISO).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

# How far back a trade looks for its grade's index: a price older than four weeks is no longer
# the market the parties saw.
REFERENCE_WEEKS = 4


@dataclass(frozen=True)
class Cleared:
    """One settled trade as the index sees it."""

    grade: str
    day: date
    price_fen_per_t: int
    grams: int


@dataclass(frozen=True)
class IndexPoint:
    grade: str
    week: date  # the Monday
    price_fen_per_t: int
    volume_g: int
    n_trades: int


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weighted_median(points: Iterable[tuple[int, int]]) -> int:
    """The price at which half the volume has traded below (lower median on an exact tie)."""
    ordered = sorted((p, w) for p, w in points if w > 0)
    if not ordered:
        raise ValueError("no volume")
    half = sum(w for _, w in ordered) / 2
    running = 0
    for price, weight in ordered:
        running += weight
        if running >= half:
            return price
    return ordered[-1][0]


def weekly(trades: Iterable[Cleared]) -> list[IndexPoint]:
    """Index points per grade and week, oldest first."""
    buckets: dict[tuple[str, date], list[Cleared]] = defaultdict(list)
    for t in trades:
        buckets[(t.grade, week_of(t.day))].append(t)
    return [
        IndexPoint(
            grade,
            week,
            weighted_median((t.price_fen_per_t, t.grams) for t in items),
            sum(t.grams for t in items),
            len(items),
        )
        for (grade, week), items in sorted(buckets.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]


def reference(prices: Mapping[tuple[str, date], int], grade: str, day: date) -> int | None:
    """The index a trade made on `day` is measured against: its grade's most recent complete
    week before the trade's own week, within `REFERENCE_WEEKS` (the current week is still
    moving, and may hold the trade itself). None when the grade had no settled trade then."""
    week = week_of(day)
    for back in range(1, REFERENCE_WEEKS + 1):
        price = prices.get((grade, week - timedelta(weeks=back)))
        if price is not None:
            return price
    return None
