"""What each role's home page shows, read from the platform's own records."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.models import Organization, Park, User
from marketplace.fleet.models import Depot, Vehicle
from marketplace.profiles.models import RecyclerProfile, WasteStream
from station.models import Scale


def _streams(org_id: int | None = None) -> list[WasteStream]:
    stmt = sa.select(WasteStream).options(
        selectinload(WasteStream.category).selectinload(Category.parent)
    )
    if org_id is not None:
        stmt = stmt.where(WasteStream.organization_id == org_id)
    return list(db.session.scalars(stmt.order_by(WasteStream.id)))


def _by_family_tonnes(streams: list[WasteStream]) -> list[tuple[Category, Decimal]]:
    totals: dict[int, int] = defaultdict(int)
    families: dict[int, Category] = {}
    for s in streams:
        family = s.category.parent or s.category
        families[family.id] = family
        totals[family.id] += s.kg_per_month
    rows = [(families[i], Decimal(kg) / 1000) for i, kg in totals.items()]
    return sorted(rows, key=lambda r: -r[1])


def _vehicles(org_id: int) -> list[Vehicle]:
    stmt = sa.select(Vehicle).where(Vehicle.organization_id == org_id).order_by(Vehicle.plate)
    return list(db.session.scalars(stmt))


def home_context(actor: Actor) -> dict[str, Any]:
    """The records the actor's home page lists; only its own organisation's unless cluster-wide."""
    org = db.session.get(Organization, actor.org_id)
    ctx: dict[str, Any] = {"org": org}
    if actor.org_kind is OrgKind.PRODUCER:
        ctx["streams"] = _streams(org.id)
    elif actor.org_kind is OrgKind.RECYCLER:
        ctx["profile"] = db.session.scalar(
            sa.select(RecyclerProfile).where(RecyclerProfile.organization_id == org.id)
        )
    elif actor.org_kind is OrgKind.LOGISTICS:
        ctx["depots"] = db.session.scalars(
            sa.select(Depot).where(Depot.organization_id == org.id)
        ).all()
        ctx["vehicles"] = _vehicles(org.id)
    elif actor.org_kind is OrgKind.STATION:
        ctx["scales"] = db.session.scalars(
            sa.select(Scale).where(Scale.organization_id == org.id)
        ).all()
        ctx["vehicles"] = _vehicles(org.id)
    else:  # government and admin: the cluster
        ctx.update(cluster_overview())
    return ctx


def cluster_overview() -> dict[str, Any]:
    """Counts by organisation kind, parks, declared generation and licensed capacity by family."""
    kinds = dict(
        db.session.execute(
            sa.select(Organization.kind, sa.func.count()).group_by(Organization.kind)
        ).all()
    )
    parks = db.session.execute(
        sa.select(Park, sa.func.count(Organization.id))
        .outerjoin(Organization, Organization.park_id == Park.id)
        .group_by(Park.id)
        .order_by(Park.code)
    ).all()
    capacity: dict[str, int] = defaultdict(int)
    families: dict[str, Category] = {}
    profiles = db.session.scalars(
        sa.select(RecyclerProfile).options(selectinload(RecyclerProfile.scope))
    ).all()
    for profile in profiles:
        for fam in {(c.parent or c) for c in profile.scope}:
            families[fam.code] = fam
            capacity[fam.code] += profile.capacity_t_per_month
    return {
        "kinds": {k.value if hasattr(k, "value") else k: n for k, n in kinds.items()},
        "parks": parks,
        "generation": _by_family_tonnes(_streams()),
        "capacity": sorted(((families[c], t) for c, t in capacity.items()), key=lambda r: -r[1]),
        "organizations": db.session.scalars(
            sa.select(Organization).order_by(Organization.kind, Organization.id)
        ).all(),
        "n_users": db.session.scalar(sa.select(sa.func.count(User.id))),
        "n_categories": db.session.scalar(sa.select(sa.func.count(Category.id))),
    }
