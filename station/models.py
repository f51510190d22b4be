"""Station tables. For now: the scales a station has and how they are wired."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db
from core.enums import enum_column
from core.models import Organization


class ScaleProtocol(enum.StrEnum):
    """Serial output protocols of the scales Chinese stations use (see shared/scales/frames.md)."""

    MT_SICS = "mt-sics"
    TOLEDO_CONTINUOUS = "toledo-continuous"
    TOLEDO_8217 = "toledo-8217"
    XK3190 = "xk3190"
    YAOHUA_A12E = "yaohua-a12e"
    ST_GS = "st-gs"


class Scale(db.Model):
    """A weighing instrument at a station with its serial settings and metrology."""

    __tablename__ = "station_scales"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "name_zh", name="org_name"),
        sa.CheckConstraint("capacity_kg > 0", name="capacity_positive"),
        sa.CheckConstraint("division_g > 0", name="division_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(80), default="")
    protocol: Mapped[ScaleProtocol] = mapped_column(enum_column(ScaleProtocol, length=20))
    port: Mapped[str] = mapped_column(sa.String(80))
    baud: Mapped[int] = mapped_column(default=9600)
    parity: Mapped[str] = mapped_column(sa.String(1), default="N")
    data_bits: Mapped[int] = mapped_column(default=8)
    stop_bits: Mapped[int] = mapped_column(default=1)
    capacity_kg: Mapped[int]
    division_g: Mapped[int]
    unit: Mapped[str] = mapped_column(sa.String(4), default="kg")

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<Scale {self.id} {self.name_zh} {self.protocol}>"
