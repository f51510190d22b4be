"""Wanted requests (求购): a recycler says what it wants; producers nearby see it and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from geopy.distance import great_circle

from core import auth
from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import Conflict, Invalid, NotFound
from core.models import Site
from core.units import tonnes_to_grams, yuan_to_fen
from marketplace.lots.models import Lot, LotStatus, WantedAnswer, WantedRequest
from marketplace.profiles.models import WasteStream


def create(actor: Actor, data: dict[str, Any], *, now: datetime) -> WantedRequest:
    """Post a request from one of the recycler's sites for a family or a grade."""
    site = db.session.get(Site, data["site_id"])
    if site is None or site.organization_id != actor.org_id:
        raise Invalid("场地不存在或不属于本组织", {"site_id": "not one of your sites"})
    category = db.session.scalar(sa.select(Category).where(Category.code == data["category"]))
    if category is None:
        raise Invalid("品类不存在", {"category": "unknown category"})
    if data["period_end"] < data["period_start"]:
        raise Invalid("求购期间的结束早于开始", {"period_end": "before period_start"})
    if data["period_end"] < now.date():
        raise Invalid("求购期间已经结束", {"period_end": "in the past"})
    price = data.get("price_idea_yuan_per_t")
    request = WantedRequest(
        organization_id=actor.org_id,
        site_id=site.id,
        category_id=category.id,
        quantity_g=tonnes_to_grams(data["quantity_t"]),
        period_start=data["period_start"],
        period_end=data["period_end"],
        radius_km=data["radius_km"],
        max_contamination_pct=data.get("max_contamination_pct"),
        max_moisture_pct=data.get("max_moisture_pct"),
        min_dql=data.get("min_dql", 1),
        price_idea_fen_per_t=yuan_to_fen(price) if price is not None else None,
        note=data.get("note", ""),
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    return request


def _covers(request: WantedRequest, category: Category) -> bool:
    wanted = request.category
    return category.id == wanted.id or (
        wanted.parent_id is None and category.parent_id == wanted.id
    )


def _within(request: WantedRequest, sites: list[Site]) -> bool:
    origin = (request.site.lat, request.site.lon)
    return any(great_circle(origin, (s.lat, s.lon)).km <= request.radius_km for s in sites)


def visible(actor: Actor, *, today: date) -> list[WantedRequest]:
    """A recycler's own requests; for a producer, the open ones that match it; all for readers."""
    stmt = sa.select(WantedRequest).order_by(WantedRequest.id.desc())
    if actor.org_kind is OrgKind.RECYCLER:
        return list(db.session.scalars(stmt.where(WantedRequest.organization_id == actor.org_id)))
    if actor.is_admin or actor.is_government:
        return list(db.session.scalars(stmt))
    open_requests = db.session.scalars(
        stmt.where(WantedRequest.open.is_(True), WantedRequest.period_end >= today)
    ).all()
    sites = list(db.session.scalars(sa.select(Site).where(Site.organization_id == actor.org_id)))
    categories = {
        c
        for c in db.session.scalars(
            sa.select(Category)
            .join(WasteStream, WasteStream.category_id == Category.id)
            .where(WasteStream.organization_id == actor.org_id)
        )
    }
    categories |= set(
        db.session.scalars(
            sa.select(Category)
            .join(Lot, Lot.category_id == Category.id)
            .where(Lot.organization_id == actor.org_id)
        )
    )
    return [
        r for r in open_requests if _within(r, sites) and any(_covers(r, c) for c in categories)
    ]


def get(actor: Actor, wanted_id: int, *, today: date) -> WantedRequest:
    """One request: its owner and cluster readers always; a producer when it matches it."""
    request = db.session.get(WantedRequest, wanted_id)
    if request is None:
        raise NotFound("求购信息不存在")
    if actor.org_kind is OrgKind.PRODUCER and request in visible(actor, today=today):
        return request
    auth.require_read_org(actor, request.organization_id, target=f"wanted:{wanted_id}")
    return request


def close(actor: Actor, wanted_id: int) -> WantedRequest:
    """The recycler withdraws its request."""
    request = db.session.get(WantedRequest, wanted_id)
    if request is None:
        raise NotFound("求购信息不存在")
    auth.require_write_org(actor, request.organization_id, target=f"wanted:{wanted_id}")
    request.open = False
    return request


def answer(actor: Actor, wanted_id: int, lot_id: int, *, today: date) -> WantedAnswer:
    """A producer offers one of its listed lots that fits the request."""
    request = get(actor, wanted_id, today=today)
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.organization_id != actor.org_id:
        raise Invalid("只能用本组织的批次应答", {"lot_id": "not one of your lots"})
    if lot.status is not LotStatus.LISTED:
        raise Invalid("只能用已发布的批次应答", {"lot_id": "not listed"})
    if not _covers(request, lot.category):
        raise Invalid("批次品类与求购不符", {"lot_id": "category does not match"})
    if lot.dql < request.min_dql:
        raise Invalid("批次数据质量等级低于求购要求", {"lot_id": "DQL below the minimum"})
    if db.session.scalar(
        sa.select(WantedAnswer.id).where(
            WantedAnswer.wanted_id == request.id, WantedAnswer.lot_id == lot.id
        )
    ):
        raise Conflict("该批次已应答过此求购", {"lot_id": "already answered"})
    item = WantedAnswer(wanted_id=request.id, lot_id=lot.id, organization_id=actor.org_id)
    db.session.add(item)
    db.session.flush()
    return item
