"""Pickup requests, route plans and their stops.

A `PickupRequest` is the market's row for one pickup on one day, built on demand from the row
it comes from (an awarded trade with a scheduled pickup, an approved station outbound plan or a
recurring lot; see `sources`), unique per source and day so gathering twice adds nothing. A
`RoutePlan` is one logistics company's plan of a day: the job that planned it, its KPIs against
direct trips, the stops it had to drop with their reasons, and the violations found by
`logistics.checker` after a hand edit. `RouteStop` is one visit (a pickup, or the delivery of a
paired pickup) of one vehicle, in order; the driver's confirmation is written on it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db
from core.models import Site
from core.time import utcnow
from marketplace.fleet.models import Vehicle

SOURCES = ("trade", "outbound", "lot", "sensor")
PLAN_STATES = ("planning", "draft", "published", "failed")


class PickupRequest(db.Model):
    """One pickup of one day: where, how much, when the site is open, where it goes."""

    __tablename__ = "dispatch_requests"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", "day", name="one_request_per_source_day"),
        sa.CheckConstraint("kg >= 0", name="kg_not_negative"),
        sa.CheckConstraint("m3 >= 0", name="m3_not_negative"),
        sa.CheckConstraint("window_end_s >= window_start_s", name="window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(12))
    source_id: Mapped[int]
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clusters.id"), index=True)
    site_name: Mapped[str] = mapped_column(sa.String(200))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    m3: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3))
    # seconds from local midnight of `day` (the site's opening hours or the booked slot)
    window_start_s: Mapped[int]
    window_end_s: Mapped[int]
    service_s: Mapped[int] = mapped_column(default=900)
    hazardous: Mapped[bool] = mapped_column(default=False)
    hw_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    dest_kind: Mapped[str] = mapped_column(sa.String(12), default="depot")
    dest_name: Mapped[str] = mapped_column(sa.String(200), default="")
    dest_lat: Mapped[float | None]
    dest_lon: Mapped[float | None]
    dest_window_start_s: Mapped[int] = mapped_column(default=0)
    dest_window_end_s: Mapped[int] = mapped_column(default=24 * 3600)
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"))
    trade_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trades.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PickupRequest {self.id} {self.source}:{self.source_id} {self.day}>"


class RoutePlan(db.Model):
    """A logistics company's plan of one day; `valid` is False while a hand edit violates it."""

    __tablename__ = "dispatch_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    state: Mapped[str] = mapped_column(sa.String(12), default="planning")
    vehicle_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    request_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    time_limit_s: Mapped[int] = mapped_column(default=5)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    kpis: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    dropped: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    violations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    valid: Mapped[bool] = mapped_column(default=True)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    stops: Mapped[list[RouteStop]] = relationship(
        back_populates="plan",
        order_by="(RouteStop.vehicle_id, RouteStop.seq)",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<RoutePlan {self.id} {self.day} {self.state}>"


class RouteStop(db.Model):
    """One visit of one vehicle: a pickup, or the delivery of a paired pickup."""

    __tablename__ = "dispatch_stops"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('pickup', 'delivery')", name="stop_kind"),
        sa.CheckConstraint("confirmed_kg IS NULL OR confirmed_kg >= 0", name="confirmed_kg_ok"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("dispatch_plans.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), index=True)
    seq: Mapped[int]
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("dispatch_requests.id"))
    kind: Mapped[str] = mapped_column(sa.String(8), default="pickup")
    # seconds from local midnight of the plan's day; None after a hand edit made it unreachable
    arrival_s: Mapped[int | None]
    start_s: Mapped[int | None]
    load_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    confirmed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    plan: Mapped[RoutePlan] = relationship(back_populates="stops")
    request: Mapped[PickupRequest] = relationship()
    vehicle: Mapped[Vehicle] = relationship()

    def __repr__(self) -> str:
        return f"<RouteStop plan={self.plan_id} v={self.vehicle_id} #{self.seq} {self.kind}>"


class VehicleDriver(db.Model):
    """Which user drives a vehicle on a plan's day (their mobile page lists its stops)."""

    __tablename__ = "dispatch_drivers"
    __table_args__ = (sa.UniqueConstraint("plan_id", "vehicle_id", name="one_driver_per_run"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("dispatch_plans.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)


class FillSensor(db.Model):
    """A container's fill-level sensor at a factory site: it reports over MQTT (topic
    ``huanlian/fill/<key>``); crossing `threshold_pct` creates that day's pickup request."""

    __tablename__ = "dispatch_fill_sensors"
    __table_args__ = (
        sa.CheckConstraint("threshold_pct BETWEEN 1 AND 100", name="threshold_range"),
        sa.CheckConstraint("capacity_kg > 0", name="sensor_capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    capacity_kg: Mapped[Decimal] = mapped_column(sa.Numeric(10, 1))
    threshold_pct: Mapped[int] = mapped_column(default=80)
    last_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 1))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()

    def __repr__(self) -> str:
        return f"<FillSensor {self.key} {self.last_pct}%>"
