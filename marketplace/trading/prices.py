"""The price index from the database: settled trades in, weekly index points out (see
`index.py` for the rule, which stays pure)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.catalogue import Category
from core.db import as_date, db, local_week
from core.time import to_local
from marketplace.lots.models import Lot
from marketplace.trading.index import REFERENCE_WEEKS, Cleared, IndexPoint, week_of, weekly
from marketplace.trading.models import Trade, TradeStatus

INDEXED = (TradeStatus.SETTLED, TradeStatus.CLOSED)


def _settled() -> sa.Select:
    """Settled trades with their grade and weight (the settled, moisture-adjusted quantity:
    what was paid plus any quality deduction, at the price)."""
    grams = (Trade.settled_fen + Trade.deduction_fen) * 1_000_000 // Trade.price_fen_per_t
    return (
        sa.select(Category.code, Trade.settled_at, Trade.price_fen_per_t, grams)
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .where(Trade.status.in_(INDEXED), Trade.settled_fen > 0)
    )


def cleared(grade: str | None = None, tz: str = "Asia/Shanghai") -> list[Cleared]:
    """Settled trades as index inputs (weeks in the cluster's local time)."""
    stmt = _settled()
    if grade:
        stmt = stmt.where(Category.code == grade)
    return [
        Cleared(code, to_local(at, tz).date(), price, grams)
        for code, at, price, grams in db.session.execute(stmt)
    ]


def weekly_prices(
    first: date, last: date, grades: Collection[str] | None = None
) -> dict[tuple[str, date], int]:
    """{(grade, Monday): index price} for the weeks from `first`'s to `last`'s, worked out in
    SQL (Asia/Shanghai weeks): the same volume-weighted lower median as `weekly`, without
    loading a trade. Within a grade's week the running volume in price order (ties summed, as
    a window's peers are) first reaches half the week's volume at the index price."""
    start, end = week_of(first), week_of(last) + timedelta(weeks=1)
    tz = ZoneInfo("Asia/Shanghai")
    bounds = [datetime.combine(d, time(), tz).astimezone(UTC) for d in (start, end)]
    base = _settled().where(Trade.settled_at >= bounds[0], Trade.settled_at < bounds[1])
    if grades is not None:  # by the lots' category ids: the lots of a few grades by index
        ids = sa.select(Category.id).where(Category.code.in_(sorted(grades)))
        base = base.where(Lot.category_id.in_(ids.scalar_subquery()))
    rows = base.with_only_columns(
        Category.code.label("grade"),
        local_week(Trade.settled_at).label("week"),
        Trade.price_fen_per_t.label("price"),
        base.selected_columns[3].label("grams"),
    ).subquery()
    week = (rows.c.grade, rows.c.week)
    c = (
        sa.select(
            rows.c.grade,
            rows.c.week,
            rows.c.price,
            sa.func.sum(rows.c.grams).over(partition_by=week, order_by=rows.c.price).label("run"),
            sa.func.sum(rows.c.grams).over(partition_by=week).label("total"),
        )
        .where(rows.c.grams > 0)
        .subquery()
    )
    q = (
        sa.select(c.c.grade, c.c.week, sa.func.min(c.c.price))
        .where(c.c.run * 2 >= c.c.total)
        .group_by(c.c.grade, c.c.week)
    )
    return {(g, as_date(w)): int(p) for g, w, p in db.session.execute(q)}


def references_for(grades: Collection[str], days: Collection[date]) -> dict[tuple[str, date], int]:
    """The weekly prices that trades of these grades made on these days can be measured
    against (`index.reference`): the weeks from `REFERENCE_WEEKS` before the first day's to
    the last day's."""
    if not grades or not days:
        return {}
    first = min(days) - timedelta(weeks=REFERENCE_WEEKS)
    return weekly_prices(first, max(days) - timedelta(weeks=1), grades)


def latest_index(grade: str, tz: str = "Asia/Shanghai") -> IndexPoint | None:
    """The most recent weekly index point of a grade, or None before its first settled trade."""
    points = weekly(cleared(grade, tz))
    return points[-1] if points else None
