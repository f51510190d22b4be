"""The warehouse's stock ledger: every kilogram that enters a location (入库), leaves it (出库)
or is found more or less at a stock-take (盘盈/盘亏), one row per package and movement.

Packages say where stock is now; the ledger says where it was on any day, which the daily
inventory balance (单日库存结余表) needs — and the two are checked against each other.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db
from core.time import utcnow


class StockMove(db.Model):
    """One movement: `grams` ≥ 0 for in and out, signed for an adjustment."""

    __tablename__ = "station_stock_moves"
    __table_args__ = (
        sa.Index("ix_station_stock_moves_station_time", "station_id", "at"),
        sa.CheckConstraint("kind IN ('in', 'out', 'adjust')", name="kind_known"),
        sa.CheckConstraint("kind = 'adjust' OR grams >= 0", name="grams_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("station_locations.id"))
    package_id: Mapped[int] = mapped_column(sa.ForeignKey("station_packages.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    material: Mapped[str] = mapped_column(sa.String(60), default="")
    kind: Mapped[str] = mapped_column(sa.String(8))
    grams: Mapped[int] = mapped_column(sa.BigInteger)
    weighing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_weighings.id"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<StockMove {self.kind} {self.grams} g package {self.package_id}>"
