"""Outbound sales of a station's stock: a plan approved against the buyer's escrow, and the
loads that leave on the weighbridge."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db
from core.time import utcnow


class OutboundPlan(db.Model):
    """What a buyer takes of one material, at what price; approved only while funded."""

    __tablename__ = "station_outbound_plans"
    __table_args__ = (
        sa.CheckConstraint("planned_g > 0", name="planned_positive"),
        sa.CheckConstraint("unit_price_fen_per_t > 0", name="price_positive"),
        sa.CheckConstraint("reserved_fen >= 0", name="reserved_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    planned_g: Mapped[int] = mapped_column(sa.BigInteger)
    unit_price_fen_per_t: Mapped[int] = mapped_column(sa.BigInteger)
    tax_rate_pct: Mapped[int] = mapped_column(default=13)  # 增值税 on recycled materials
    fees_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    state: Mapped[str] = mapped_column(sa.String(12), default="draft")  # draft/approved/closed
    reserved_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    loads: Mapped[list[OutboundLoad]] = relationship(order_by="OutboundLoad.id")

    def __repr__(self) -> str:
        return f"<OutboundPlan {self.number} {self.state}>"


class OutboundLoad(db.Model):
    """One vehicle leaving with bales of a plan, weighed on the weighbridge (CP4)."""

    __tablename__ = "station_outbound_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("station_outbound_plans.id"), index=True)
    weighing_id: Mapped[int] = mapped_column(sa.ForeignKey("station_weighings.id"))
    vehicle_plate: Mapped[str] = mapped_column(sa.String(16))
    net_g: Mapped[int] = mapped_column(sa.BigInteger)
    labels_g: Mapped[int] = mapped_column(sa.BigInteger)  # Σ of the bale labels scanned on
    value_fen: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OutboundLoad {self.plan_id} {self.vehicle_plate}>"
