"""Graded alerts on anomalous weighings, with their lifecycle."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db
from core.time import utcnow
from station.models.flow import Weighing


class Alert(db.Model):
    """An alert raised by a weighing: tier 0 (information) to 3 (management).

    The subject columns (operator, line, vehicle, supplier) are what the repeat rules count.
    """

    __tablename__ = "station_alerts"
    __table_args__ = (
        sa.Index("ix_station_alerts_open", "station_id", "state", "tier"),
        sa.Index("ix_station_alerts_updated", "station_id", "updated_at"),
        sa.CheckConstraint("tier BETWEEN 0 AND 3", name="tier_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    weighing_id: Mapped[int] = mapped_column(sa.ForeignKey("station_weighings.id"), index=True)
    tier: Mapped[int] = mapped_column(sa.SmallInteger)
    base_tier: Mapped[int] = mapped_column(sa.SmallInteger)  # before repeat rules and escalation
    reason: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(14), default="open")
    deviation_ratio: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    line: Mapped[str] = mapped_column(sa.String(20), default="")
    vehicle_plate: Mapped[str] = mapped_column(sa.String(16), default="")
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str] = mapped_column(sa.String(500), default="")
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalations: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    # the last change of state or tier: the alert stream pushes changes newer than its cursor
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    weighing: Mapped[Weighing] = relationship()

    def __repr__(self) -> str:
        return f"<Alert {self.id} tier {self.tier} {self.state}>"
