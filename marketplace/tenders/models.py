"""Service requests, their quotes (append-only revisions), awards and ratings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.catalogue import Category
from core.db import UTCDateTime, db
from core.enums import enum_column
from core.models import Organization, Site
from core.time import utcnow
from marketplace.lots.models import Lot
from marketplace.tenders.lifecycle import ServiceStatus
from marketplace.tenders.quoting import Basis, ServiceKind


class ServiceRequest(db.Model):
    """A producer's or station's call for quotes (服务需求) for transport or disposal."""

    __tablename__ = "service_requests"
    __table_args__ = (
        sa.CheckConstraint("quantity_g > 0", name="quantity_positive"),
        sa.CheckConstraint("budget_fen IS NULL OR budget_fen > 0", name="budget_positive"),
        sa.CheckConstraint("window_end >= window_start", name="window_ordered"),
        sa.Index("ix_service_requests_status_kind_deadline", "status", "kind", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    quantity_g: Mapped[int] = mapped_column(sa.BigInteger)
    hw_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    window_start: Mapped[date]
    window_end: Mapped[date]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    basis: Mapped[Basis] = mapped_column(enum_column(Basis))
    budget_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The last explicit move; `expired` is derived (lifecycle.effective), never stored.
    status: Mapped[ServiceStatus] = mapped_column(
        enum_column(ServiceStatus), default=ServiceStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
    site: Mapped[Site] = relationship()
    category: Mapped[Category] = relationship()
    lot: Mapped[Lot | None] = relationship()
    award: Mapped[ServiceAward | None] = relationship(back_populates="request", uselist=False)

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.id} {self.kind} {self.status}>"


class ServiceQuote(db.Model):
    """One revision of a provider's quote; never changed. The latest revision is the current."""

    __tablename__ = "service_quotes"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "organization_id", "revision"),
        sa.CheckConstraint("price_fen > 0", name="price_positive"),
        sa.CheckConstraint("total_fen > 0", name="total_positive"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
        sa.CheckConstraint("valid_until >= earliest_date", name="valid_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("service_requests.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revision: Mapped[int]
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    basis: Mapped[Basis] = mapped_column(enum_column(Basis))
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)  # what the requester would pay
    earliest_date: Mapped[date]
    valid_until: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<ServiceQuote {self.id} req={self.request_id} r{self.revision} {self.total_fen}>"


class ServiceAward(db.Model):
    """The requester's choice (服务订单): at most one per request (unique, plus a row lock)."""

    __tablename__ = "service_awards"
    __table_args__ = (sa.CheckConstraint("total_fen > 0", name="total_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("service_requests.id"), unique=True)
    quote_id: Mapped[int] = mapped_column(sa.ForeignKey("service_quotes.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    basis: Mapped[Basis] = mapped_column(enum_column(Basis))
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    awarded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ServiceRequest] = relationship(back_populates="award")
    quote: Mapped[ServiceQuote] = relationship()
    provider: Mapped[Organization] = relationship(foreign_keys=[provider_id])
    rating: Mapped[ServiceRating | None] = relationship(back_populates="award", uselist=False)

    def __repr__(self) -> str:
        return f"<ServiceAward req={self.request_id} provider={self.provider_id}>"


class ServiceRating(db.Model):
    """The requester's 1–5 star rating of a completed service; one per award."""

    __tablename__ = "service_ratings"
    __table_args__ = (sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("service_awards.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    stars: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    award: Mapped[ServiceAward] = relationship(back_populates="rating")

    def __repr__(self) -> str:
        return f"<ServiceRating award={self.award_id} {self.stars}★>"
