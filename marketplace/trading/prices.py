"""The price index from the database: settled trades in, weekly index points out (see
`index.py` for the rule, which stays pure)."""

from __future__ import annotations

import sqlalchemy as sa

from core.catalogue import Category
from core.db import db
from core.time import to_local
from marketplace.lots.models import Lot
from marketplace.trading.index import Cleared, IndexPoint, weekly
from marketplace.trading.models import Trade, TradeStatus

INDEXED = (TradeStatus.SETTLED, TradeStatus.CLOSED)


def cleared(grade: str | None = None, tz: str = "Asia/Shanghai") -> list[Cleared]:
    """Settled trades as index inputs (weeks in the cluster's local time). The volume is the
    settled, moisture-adjusted quantity: what was paid plus any quality deduction, at the price."""
    stmt = (
        sa.select(Trade, Category.code)
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .where(Trade.status.in_(INDEXED), Trade.settled_fen > 0)
    )
    if grade:
        stmt = stmt.where(Category.code == grade)
    return [
        Cleared(
            code,
            to_local(t.settled_at, tz).date(),
            t.price_fen_per_t,
            (t.settled_fen + t.deduction_fen) * 1_000_000 // t.price_fen_per_t,
        )
        for t, code in db.session.execute(stmt)
    ]


def latest_index(grade: str, tz: str = "Asia/Shanghai") -> IndexPoint | None:
    """The most recent weekly index point of a grade, or None before its first settled trade."""
    points = weekly(cleared(grade, tz))
    return points[-1] if points else None
