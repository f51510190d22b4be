"""A station's configuration: its scales, standard tares, tolerances, sorting ratios, locations."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db
from core.enums import enum_column
from core.models import Organization
from core.time import utcnow
from station.quota import TareKind


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
    # The frame variant where one protocol has several ("reversed"/"forward" "=" frames,
    # "command" mode) and the indicator address in command mode; see station.scales.VARIANTS.
    variant: Mapped[str | None] = mapped_column(sa.String(16))
    address: Mapped[str] = mapped_column(sa.String(1), default="A")

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<Scale {self.id} {self.name_zh} {self.protocol}>"


class StandardTare(db.Model):
    """A standard tare with its validity; a weighing subtracts the ones valid at its time."""

    __tablename__ = "station_tares"
    __table_args__ = (sa.CheckConstraint("weight_g >= 0", name="weight_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[TareKind] = mapped_column(enum_column(TareKind))
    ref: Mapped[str] = mapped_column(sa.String(40))  # plate, container or pallet type code
    weight_g: Mapped[int] = mapped_column(sa.BigInteger)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<StandardTare {self.kind} {self.ref} {self.weight_g} g>"


class TolerancePolicy(db.Model):
    """Tolerance C for a control point, for one material or (category NULL) the point's default.

    `policy` holds the policy's kind and parameters as `station.tolerance` reads them.
    """

    __tablename__ = "station_tolerances"
    __table_args__ = (sa.UniqueConstraint("organization_id", "control_point", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    control_point: Mapped[str] = mapped_column(sa.String(16))  # receive, sort, bale, outbound
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    policy: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<TolerancePolicy {self.control_point} {self.category_id}>"


class RatioSet(db.Model):
    """A versioned set of sorting ratios for one input material (lines sum to exactly 1)."""

    __tablename__ = "station_ratio_sets"
    __table_args__ = (sa.UniqueConstraint("organization_id", "category_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    version: Mapped[int]
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[RatioLine]] = relationship(order_by="RatioLine.id")

    def __repr__(self) -> str:
        return f"<RatioSet {self.category_id} v{self.version}>"


class RatioLine(db.Model):
    """One output of sorting and its share; exactly one line per set is the residue/loss."""

    __tablename__ = "station_ratio_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(sa.ForeignKey("station_ratio_sets.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    label: Mapped[str] = mapped_column(sa.String(60))  # e.g. 高值塑料, 二类纸, 损耗
    ratio: Mapped[Decimal] = mapped_column(sa.Numeric(7, 6))
    residue: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<RatioLine {self.label} {self.ratio}>"


class Location(db.Model):
    """A storage location in the station's warehouse (库位)."""

    __tablename__ = "station_locations"
    __table_args__ = (sa.UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(60))

    def __repr__(self) -> str:
        return f"<Location {self.code}>"
