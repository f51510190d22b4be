"""A recycler's licence and limits; a producer's declared waste streams."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.catalogue import Category
from core.db import db
from core.models import Organization

recycler_scope = sa.Table(
    "recycler_scope",
    db.metadata,
    sa.Column("profile_id", sa.ForeignKey("recycler_profiles.id"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id"), primary_key=True),
)


class RecyclerProfile(db.Model):
    """What a recycler is licensed to take (families/grades, HW codes), how much and how far."""

    __tablename__ = "recycler_profiles"
    __table_args__ = (
        sa.CheckConstraint("capacity_t_per_month > 0", name="capacity_positive"),
        sa.CheckConstraint("haul_radius_km > 0", name="radius_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), unique=True)
    licence_no: Mapped[str] = mapped_column(sa.String(60))
    licence_issuer: Mapped[str] = mapped_column(sa.String(120))
    licence_valid_until: Mapped[date | None]
    hw_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    capacity_t_per_month: Mapped[int]
    haul_radius_km: Mapped[int]

    organization: Mapped[Organization] = relationship()
    scope: Mapped[list[Category]] = relationship(secondary=recycler_scope, order_by=Category.code)

    def __repr__(self) -> str:
        return f"<RecyclerProfile org={self.organization_id}>"


class WasteStream(db.Model):
    """A waste a producer declares it generates regularly, with the monthly quantity in kg."""

    __tablename__ = "waste_streams"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "category_id", name="org_category"),
        sa.CheckConstraint("kg_per_month > 0", name="kg_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    kg_per_month: Mapped[int]

    organization: Mapped[Organization] = relationship()
    category: Mapped[Category] = relationship()

    def __repr__(self) -> str:
        return f"<WasteStream org={self.organization_id} cat={self.category_id}>"
