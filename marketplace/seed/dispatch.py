"""The demo dispatcher's day: today's pickup requests in the cluster, planned with the demo
carrier's whole fleet, published, each used truck given a driver.

The requests are what `dispatch.sources.gather` finds (scheduled trades, approved outbound
plans, recurring lots due today) plus, so the day is full enough to show consolidation, a
deterministic sample of the demo market's listed lots as today's collections to the nearest
station — built by the same `sources.lot_request` the recurring path uses. The solver runs
inline here with a short limit (no job thread during a CLI seed).
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core import auth
from core.db import db
from core.enums import OrgKind, Role
from core.models import Organization, Site, User
from marketplace.dispatch import services, sources
from marketplace.dispatch.models import FillSensor, PickupRequest, RoutePlan, VehicleDriver
from marketplace.fleet.models import Vehicle
from marketplace.lots.models import Lot, LotStatus, LotVersion
from marketplace.seed.services import DEMO_PASSWORD

TZ = "Asia/Shanghai"
DRIVERS = ("demo-driver", "demo-driver-2", "demo-driver-3")
COLLECTIONS = 24  # listed lots collected on the demo day
MAX_COLLECTION_KG = Decimal(3000)  # one day's share of a lot: a partial pickup


def _drivers(carrier: Organization) -> list[User]:
    out = []
    for n, username in enumerate(DRIVERS, start=1):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(
                organization_id=carrier.id,
                username=username,
                display_name=f"演示司机{n}",
                role=Role.OPERATOR,
                password_hash=auth.hash_password(DEMO_PASSWORD),
            )
            db.session.add(user)
        out.append(user)
    db.session.flush()
    return out


def seed_dispatch(*, now: datetime, time_limit_s: int = 3, seed: int = 20261203) -> int:
    """Plan and publish today's demo day; returns the stops planned (0 when already there or
    the demo carrier is missing)."""
    carrier = db.session.scalar(
        sa.select(Organization)
        .where(Organization.kind == OrgKind.LOGISTICS)
        .order_by(Organization.id)
    )
    if carrier is None or db.session.scalar(sa.select(RoutePlan.id).limit(1)):
        return 0
    day = now.astimezone(ZoneInfo(TZ)).date()
    sources.gather(day)
    have = set(db.session.scalars(sa.select(PickupRequest.lot_id).where(PickupRequest.day == day)))
    rows = db.session.execute(
        sa.select(Lot, LotVersion)
        .join(LotVersion, sa.and_(LotVersion.lot_id == Lot.id, LotVersion.number == Lot.version))
        .where(Lot.status == LotStatus.LISTED)
        .order_by(Lot.id)
    ).tuples()
    candidates = [(lot, v) for lot, v in rows if lot.id not in have]
    rng = random.Random(seed)
    near = sources.stations()
    for lot, version in sorted(
        rng.sample(candidates, min(COLLECTIONS, len(candidates))), key=lambda x: x[0].id
    ):
        kg = min(Decimal(lot.quantity_g) / 1000, MAX_COLLECTION_KG)
        db.session.add(sources.lot_request(lot, version, day, kg, near))
    db.session.flush()
    manager = db.session.scalar(
        sa.select(User).where(User.organization_id == carrier.id, User.role == Role.MANAGER)
    )
    vehicles = db.session.scalars(
        sa.select(Vehicle)
        .where(Vehicle.organization_id == carrier.id, Vehicle.active.is_(True))
        .order_by(Vehicle.id)
    ).all()
    requests = sources.open_requests(day, carrier.cluster_id)
    plan = RoutePlan(
        organization_id=carrier.id,
        day=day,
        vehicle_ids=[v.id for v in vehicles],
        request_ids=[r.id for r in requests],
        time_limit_s=time_limit_s,
        created_by=manager.id if manager else None,
    )
    db.session.add(plan)
    db.session.flush()
    services.solve(plan.id)
    if plan.valid:
        plan.state, plan.published_at = "published", now
    used = sorted({s.vehicle_id for s in plan.stops})
    for vehicle_id, driver in zip(used, _drivers(carrier), strict=False):
        db.session.add(VehicleDriver(plan_id=plan.id, vehicle_id=vehicle_id, user_id=driver.id))
    _sensors(rng, now)
    db.session.flush()
    return len(plan.stops)


def _sensors(rng: random.Random, now: datetime) -> None:
    """Four demo containers with fill-level sensors: two filling, one full, one gone silent."""
    from datetime import timedelta

    sites = db.session.scalars(
        sa.select(Site)
        .join(Organization, Organization.id == Site.organization_id)
        .where(Organization.kind == OrgKind.PRODUCER)
        .order_by(Site.id)
    ).all()
    for n, site in enumerate(rng.sample(list(sites), min(4, len(sites))), start=1):
        pct, seen = [
            (Decimal("46.0"), 10),
            (Decimal("71.5"), 5),
            (Decimal("84.0"), 3),
            (Decimal("38.0"), 300),
        ][n - 1]
        db.session.add(
            FillSensor(
                key=f"demo-bin-{n:02d}",
                organization_id=site.organization_id,
                site_id=site.id,
                capacity_kg=Decimal(1200),
                threshold_pct=80,
                last_pct=pct,
                last_seen_at=now - timedelta(minutes=seen),
            )
        )
