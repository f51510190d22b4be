"""Vehicles and depots: the inputs a dispatcher's route plan is made from."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import coordinate_checks, db
from core.models import Organization


class Depot(db.Model):
    """Where a carrier's vehicles start and end their shifts."""

    __tablename__ = "depots"
    __table_args__ = coordinate_checks()

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(300))
    lat: Mapped[float]
    lon: Mapped[float]

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<Depot {self.id} {self.name}>"


class Vehicle(db.Model):
    """A truck with its capacities; a hazmat permit decides whether it may carry HW lots."""

    __tablename__ = "vehicles"
    __table_args__ = (
        sa.CheckConstraint("capacity_kg > 0", name="capacity_kg_positive"),
        sa.CheckConstraint("capacity_m3 > 0", name="capacity_m3_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    depot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("depots.id"))
    plate: Mapped[str] = mapped_column(sa.String(16), unique=True)
    vehicle_type: Mapped[str] = mapped_column(sa.String(32))
    type_zh: Mapped[str] = mapped_column(sa.String(40))
    capacity_kg: Mapped[int]
    capacity_m3: Mapped[int]
    hazmat_permit: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    organization: Mapped[Organization] = relationship()
    depot: Mapped[Depot | None] = relationship()

    def __repr__(self) -> str:
        return f"<Vehicle {self.plate}>"
