"""Lots, their immutable archive versions, evidence files and wanted requests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.catalogue import Category
from core.db import UTCDateTime, coordinate_checks, db
from core.enums import enum_column
from core.models import Organization, Site
from core.time import utcnow


class LotStatus(enum.StrEnum):
    """The lot lifecycle; the trading issue's state machine moves lots past `listed`."""

    DRAFT = "draft"
    LISTED = "listed"
    AWARDED = "awarded"
    SCHEDULED = "scheduled"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    SETTLED = "settled"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


EDITABLE = frozenset({LotStatus.DRAFT, LotStatus.LISTED})


class QuantityBasis(enum.StrEnum):
    ESTIMATED = "estimated"
    WEIGHBRIDGE = "weighbridge"


class Form(enum.StrEnum):
    """Physical form and containment as loaded."""

    LOOSE = "loose"
    BALE = "bale"
    BIG_BAG = "big_bag"
    DRUM = "drum"
    PALLET = "pallet"
    ROLL = "roll"
    BOX = "box"
    BULK = "bulk"


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    LAB_REPORT = "lab_report"
    COMPLIANCE = "compliance"


class Lot(db.Model):
    """A tradeable quantity of one grade at one site; search columns mirror its current version."""

    __tablename__ = "lots"
    __table_args__ = (
        *coordinate_checks(),
        sa.CheckConstraint("quantity_g > 0", name="quantity_positive"),
        sa.CheckConstraint("dql BETWEEN 0 AND 4", name="dql_range"),
        # Covering for distance ranking (search.build ranks ids by distance from the index
        # alone): coordinates in the family index, and the id included on PostgreSQL.
        sa.Index(
            "ix_lots_search_family",
            "status",
            "family_code",
            "dql",
            "lat",
            "lon",
            postgresql_include=["id"],
        ),
        sa.Index("ix_lots_search_geo", "status", "lat", "lon", postgresql_include=["id"]),
        sa.Index("ix_lots_search_price", "status", "ask_fen_per_t"),
        sa.Index("ix_lots_search_listed", "status", "listed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    status: Mapped[LotStatus] = mapped_column(enum_column(LotStatus), default=LotStatus.DRAFT)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Mirrors of the current version, for search and sorting without a join.
    title: Mapped[str] = mapped_column(sa.String(120))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    family_code: Mapped[str] = mapped_column(sa.String(2))
    dql: Mapped[int] = mapped_column(sa.SmallInteger)
    quantity_g: Mapped[int] = mapped_column(sa.BigInteger)
    ask_fen_per_t: Mapped[int | None] = mapped_column(sa.BigInteger)
    lat: Mapped[float]
    lon: Mapped[float]
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    hazardous: Mapped[bool] = mapped_column(default=False)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    organization: Mapped[Organization] = relationship()
    site: Mapped[Site] = relationship()
    category: Mapped[Category] = relationship()
    versions: Mapped[list[LotVersion]] = relationship(
        back_populates="lot", order_by="LotVersion.number"
    )

    def __repr__(self) -> str:
        return f"<Lot {self.id} v{self.version} {self.status}>"


class LotVersion(db.Model):
    """One immutable version of a lot's digital archive; editing a listed lot adds another."""

    __tablename__ = "lot_versions"
    __table_args__ = (sa.UniqueConstraint("lot_id", "number", name="lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    quantity_g: Mapped[int] = mapped_column(sa.BigInteger)
    quantity_basis: Mapped[QuantityBasis] = mapped_column(enum_column(QuantityBasis))
    form: Mapped[Form] = mapped_column(enum_column(Form))
    package_count: Mapped[int | None]
    unit_weight_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    bulk_density_kg_m3: Mapped[int | None]
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    loading: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    hazardous: Mapped[bool] = mapped_column(default=False)
    hw_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    industry_code: Mapped[str] = mapped_column(sa.String(8), default="")
    process: Mapped[str] = mapped_column(sa.String(120), default="")
    batch: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    recurrence: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    properties: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    composition: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    ask_fen_per_t: Mapped[int | None] = mapped_column(sa.BigInteger)
    evidence_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    dql: Mapped[int] = mapped_column(sa.SmallInteger)
    dql_missing: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    lot: Mapped[Lot] = relationship(back_populates="versions")
    category: Mapped[Category] = relationship()

    def __repr__(self) -> str:
        return f"<LotVersion lot={self.lot_id} #{self.number}>"


class Evidence(db.Model):
    """A photo, lab report or compliance document, stored by SHA-256 and never changed."""

    __tablename__ = "lot_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(60))
    size_bytes: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lab_name: Mapped[str] = mapped_column(sa.String(120), default="")
    accreditation_no: Mapped[str] = mapped_column(sa.String(60), default="")
    method: Mapped[str] = mapped_column(sa.String(120), default="")
    test_date: Mapped[date | None]
    title: Mapped[str] = mapped_column(sa.String(120), default="")

    def __repr__(self) -> str:
        return f"<Evidence {self.id} {self.kind} {self.sha256[:12]}>"


class WantedRequest(db.Model):
    """A recycler's request (求购): grade, limits, quantity, period, radius and a price idea."""

    __tablename__ = "wanted_requests"
    __table_args__ = (
        sa.CheckConstraint("quantity_g > 0", name="quantity_positive"),
        sa.CheckConstraint("radius_km > 0", name="radius_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    quantity_g: Mapped[int] = mapped_column(sa.BigInteger)
    period_start: Mapped[date]
    period_end: Mapped[date]
    radius_km: Mapped[int]
    max_contamination_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    max_moisture_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    min_dql: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    price_idea_fen_per_t: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    site: Mapped[Site] = relationship()
    category: Mapped[Category] = relationship()
    answers: Mapped[list[WantedAnswer]] = relationship(order_by="WantedAnswer.id")

    def __repr__(self) -> str:
        return f"<WantedRequest {self.id}>"


class WantedAnswer(db.Model):
    """A producer offering one of its listed lots in answer to a wanted request."""

    __tablename__ = "wanted_answers"
    __table_args__ = (sa.UniqueConstraint("wanted_id", "lot_id", name="wanted_lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wanted_id: Mapped[int] = mapped_column(sa.ForeignKey("wanted_requests.id"), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot: Mapped[Lot] = relationship()

    def __repr__(self) -> str:
        return f"<WantedAnswer wanted={self.wanted_id} lot={self.lot_id}>"
