"""Rows → `matching` inputs. The library never sees a model; this is the only translation.

- A lot becomes a `matching.Lot` from its search columns and its current archive version:
  grade code as the category, the process, the site's coordinates, tonnes, the declared or
  measured contamination and moisture (0 when not stated: the DQL says how much is known), the
  DQL, the ask over the grade's latest weekly price index (1.0 without an ask or an index), the
  HW codes, and title + description + process as text.
- A recycler becomes a `matching.Buyer` from its licence (`recycler_profiles`): the licensed
  grades (a family in the scope licenses every grade of it), the HW codes, the haul radius from
  its first site, the capacity left this month (as trading's eligibility rule counts it) and the
  quality tolerances of its open 求购 requests (the loosest of them; none: no limit). A recycler
  without a licence on file or with an empty scope is refused (`NoLicence`).
- Exposures come from the impressions on buyer-facing surfaces joined with bids, plus every bid
  without an impression (the buyer found the lot itself: it saw it and bid).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

import matching
from core.catalogue import Category
from core.db import db
from core.errors import Invalid
from core.models import Site
from marketplace.lots.models import Lot, LotStatus, LotVersion, WantedRequest
from marketplace.profiles.models import RecyclerProfile
from marketplace.recommend.models import BUYER_FACING, Impression
from marketplace.trading.index import weekly
from marketplace.trading.models import Bid
from marketplace.trading.prices import cleared
from marketplace.trading.services import buyer_facts

GRAMS_PER_T = 1_000_000


class NoLicence(Invalid):
    """The organisation has no recycler licence (or an empty scope): nothing can be matched."""

    def __init__(self) -> None:
        super().__init__(
            "没有经营许可范围的回收企业无法获得推荐，请先完善经营许可。",
            {"licence": "no recycler licence scope on file"},
        )


def _pct(properties: Iterable[dict], key: str) -> float:
    for p in properties or ():
        if p.get("key") == key:
            try:
                value = float(Decimal(str(p.get("value"))))
            except (InvalidOperation, ValueError):
                return 0.0
            return min(max(value, 0.0), 100.0)
    return 0.0


class IndexCache:
    """The latest weekly price index of every grade, computed once per batch of lots (one
    query over the settled trades, not one per grade)."""

    def __init__(self) -> None:
        self.points: dict[str, int] | None = None

    def price(self, grade: str) -> int | None:
        if self.points is None:
            self.points = {p.grade: p.price_fen_per_t for p in weekly(cleared())}  # oldest first
        return self.points.get(grade)


def to_lot(lot: Lot, version: Any, index: IndexCache) -> matching.Lot:
    """One lot row and its current version as the library's `Lot`."""
    grade = lot.category.code
    ref = index.price(grade)
    ask = version.ask_fen_per_t
    ratio = ask / ref if ask and ref else 1.0
    text = " ".join(x for x in (version.title, version.process, version.description) if x)
    return matching.Lot(
        id=str(lot.id),
        category=grade,
        process=version.process or "",
        lat=float(lot.lat),
        lon=float(lot.lon),
        quantity_t=lot.quantity_g / GRAMS_PER_T,
        contamination_pct=_pct(version.properties, "contamination_pct"),
        moisture_pct=_pct(version.properties, "moisture_pct"),
        dql=int(lot.dql),
        ask_ratio=min(max(ratio, 0.0), 100.0),
        hw_codes=tuple(version.hw_codes or ()),
        listed_at=lot.listed_at,
        text=text[:2000],
        seller_id=str(lot.organization_id),
    )


def lots(rows: Sequence[Lot]) -> list[matching.Lot]:
    """Many lots at once, each with its current version (one query for the versions)."""
    if not rows:
        return []
    v = LotVersion
    current = db.session.execute(
        sa.select(v.lot_id, v.title, v.process, v.description, v.properties, v.hw_codes,
                  v.ask_fen_per_t)
        .join(Lot, sa.and_(Lot.id == v.lot_id, Lot.version == v.number))
        .where(v.lot_id.in_([r.id for r in rows]))
    )  # fmt: skip
    versions = {row.lot_id: row for row in current}
    index = IndexCache()
    return [to_lot(r, versions[r.id], index) for r in rows]


def open_lots(limit: int = 20_000) -> list[Lot]:
    """Lots on the market now (listed), newest first: the candidates for recommendations."""
    return list(
        db.session.scalars(
            sa.select(Lot)
            .options(joinedload(Lot.category))
            .where(Lot.status == LotStatus.LISTED)
            .order_by(Lot.listed_at.desc(), Lot.id.desc())
            .limit(limit)
        )
    )


def _grades_of(scope: Iterable[Category]) -> frozenset[str]:
    codes = {c.code for c in scope}
    families = {c.code for c in scope if c.parent_id is None}
    if families:
        rows = db.session.scalars(sa.select(Category).where(Category.active.is_(True)))
        codes |= {c.code for c in rows if c.family_code in families}
    return frozenset(codes)


def _tolerances(org_id: int) -> tuple[float, int]:
    """The loosest limits among the recycler's open wanted requests (none: no limit)."""
    rows = list(
        db.session.execute(
            sa.select(WantedRequest.max_contamination_pct, WantedRequest.min_dql).where(
                WantedRequest.organization_id == org_id, WantedRequest.open.is_(True)
            )
        )
    )
    if not rows:
        return 100.0, 0
    limits = [float(c) for c, _ in rows if c is not None]
    contamination = max(limits) if len(limits) == len(rows) else 100.0
    return min(contamination, 100.0), int(min(d for _, d in rows))


def to_buyer(profile: RecyclerProfile, now: datetime) -> matching.Buyer:
    """A recycler's licence and limits as the library's `Buyer`; `NoLicence` without scope."""
    facts = buyer_facts(profile.organization_id, now)
    grades = _grades_of(profile.scope)
    if facts is None or not grades or not facts.sites:
        raise NoLicence()
    lat, lon = facts.sites[0]
    contamination, min_dql = _tolerances(profile.organization_id)
    return matching.Buyer(
        id=str(profile.organization_id),
        lat=float(lat),
        lon=float(lon),
        permitted_categories=grades,
        permitted_hw_codes=frozenset(profile.hw_codes or ()),
        radius_km=float(profile.haul_radius_km),
        capacity_t=max(facts.remaining_capacity_g, 0) / GRAMS_PER_T,
        max_contamination_pct=contamination,
        min_dql=min_dql,
    )


def profile_of(org_id: int) -> RecyclerProfile | None:
    """The organisation's recycler licence, with its scope, or None."""
    return (
        db.session.execute(
            sa.select(RecyclerProfile)
            .options(joinedload(RecyclerProfile.scope))
            .where(RecyclerProfile.organization_id == org_id)
        )
        .unique()
        .scalar_one_or_none()
    )


def buyer(org_id: int, now: datetime) -> matching.Buyer:
    """The recycler `org_id` as a `Buyer`; `NoLicence` when it has none."""
    profile = profile_of(org_id)
    if profile is None:
        raise NoLicence()
    return to_buyer(profile, now)


def buyers(now: datetime) -> list[matching.Buyer]:
    """Every recycler that has a usable licence (the others cannot be matched and are left out)."""
    out = []
    for profile in (
        db.session.execute(
            sa.select(RecyclerProfile)
            .options(joinedload(RecyclerProfile.scope))
            .order_by(RecyclerProfile.id)
        )
        .unique()
        .scalars()
    ):
        try:
            out.append(to_buyer(profile, now))
        except NoLicence:
            continue
    return out


@dataclass(frozen=True)
class TrainingData:
    """What a training run learns from, already adapted."""

    lots: list[matching.Lot]
    buyers: list[matching.Buyer]
    exposures: list[matching.Exposure]


def exposures(known_buyers: set[str]) -> tuple[list[matching.Exposure], set[int]]:
    """Logged exposures of buyer-facing lists joined with bids, plus bids without one.

    One exposure per (buyer, lot), at the first time it was shown (or the first bid); `bid` is
    whether the buyer bid on the lot at all. Returns the exposures and the lot ids they need.
    """
    first_bid: dict[tuple[int, int], datetime] = {}
    for org_id, lot_id, at in db.session.execute(
        sa.select(Bid.organization_id, Bid.lot_id, sa.func.min(Bid.placed_at)).group_by(
            Bid.organization_id, Bid.lot_id
        )
    ):
        first_bid[(org_id, lot_id)] = at
    shown: dict[tuple[int, int], tuple[datetime, int]] = {}
    for org_id, lot_id, at, pos in db.session.execute(
        sa.select(
            Impression.buyer_org_id,
            Impression.lot_id,
            sa.func.min(Impression.shown_at),
            sa.func.min(Impression.position),
        )
        .where(Impression.surface.in_(BUYER_FACING))
        .group_by(Impression.buyer_org_id, Impression.lot_id)
    ):
        shown[(org_id, lot_id)] = (at, pos)
    out: list[matching.Exposure] = []
    lot_ids: set[int] = set()
    for key in sorted(set(shown) | set(first_bid)):
        org_id, lot_id = key
        if str(org_id) not in known_buyers:
            continue
        at, pos = shown.get(key, (first_bid.get(key), None))
        out.append(matching.Exposure(str(org_id), str(lot_id), at, key in first_bid, pos))
        lot_ids.add(lot_id)
    return out, lot_ids


def training_data(now: datetime) -> TrainingData:
    """Lots, buyers and exposures of the whole platform, for one training run."""
    all_buyers = buyers(now)
    exps, lot_ids = exposures({b.id for b in all_buyers})
    rows = (
        list(
            db.session.scalars(
                sa.select(Lot).options(joinedload(Lot.category)).where(Lot.id.in_(lot_ids))
            )
        )
        if lot_ids
        else []
    )
    return TrainingData(lots(rows), all_buyers, exps)


def site_of(org_id: int) -> Site | None:
    """The organisation's first site (where its trucks start)."""
    return db.session.scalar(
        sa.select(Site).where(Site.organization_id == org_id).order_by(Site.id)
    )
