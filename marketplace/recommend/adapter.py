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
from marketplace.trading.models import Bid, Trade, TradeStatus
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


def to_lot(lot: Any, grade: str, version: Any, index: IndexCache) -> matching.Lot:
    """One lot (a row or its columns) and its current version as the library's `Lot`."""
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
    return [to_lot(r, r.category.code, versions[r.id], index) for r in rows]


OPEN_LIMIT = 20_000


def open_signature() -> tuple[Any, ...]:
    """What changes whenever the open lots' inputs change: their count, ids and versions,
    the latest edit, and the latest settled trade (the price index the ask is compared with).
    Cheap (one aggregate over an index), so each request can check a cached table."""
    listed = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(Lot.id), sa.func.sum(Lot.version),
                  sa.func.max(Lot.updated_at)).where(Lot.status == LotStatus.LISTED)
    ).one()  # fmt: skip
    settled = db.session.scalar(sa.select(sa.func.max(Trade.settled_at)))
    return (*listed, settled)


def excluded_for(org_id: int) -> set[str]:
    """Open lots never recommended to `org_id`: its own, and those it already bid on."""
    bid_on = sa.select(Bid.lot_id).where(Bid.organization_id == org_id)
    rows = db.session.scalars(
        sa.select(Lot.id).where(
            Lot.status == LotStatus.LISTED,
            sa.or_(Lot.organization_id == org_id, Lot.id.in_(bid_on)),
        )
    )
    return {str(i) for i in rows}


def open_lot_inputs(exclude_org: int | None = None, limit: int = OPEN_LIMIT) -> list[matching.Lot]:
    """Lots on the market now (listed, newest first) as `matching.Lot`, in one query of the
    columns it needs; with `exclude_org`, not its own lots and not those it already bid on."""
    v = LotVersion
    where = [Lot.status == LotStatus.LISTED]
    if exclude_org is not None:
        bid_on = sa.select(Bid.lot_id).where(Bid.organization_id == exclude_org)
        where += [Lot.organization_id != exclude_org, Lot.id.not_in(bid_on)]
    rows = db.session.execute(
        sa.select(Lot.id, Lot.lat, Lot.lon, Lot.quantity_g, Lot.dql, Lot.listed_at,
                  Lot.organization_id, Category.code, v.title, v.process, v.description,
                  v.properties, v.hw_codes, v.ask_fen_per_t)
        .join(Category, Category.id == Lot.category_id)
        .join(v, sa.and_(v.lot_id == Lot.id, v.number == Lot.version))
        .where(*where)
        .order_by(Lot.listed_at.desc(), Lot.id.desc())
        .limit(limit)
    )  # fmt: skip
    index = IndexCache()
    return [to_lot(r, r.code, r, index) for r in rows]


def lot_rows(ids: Sequence[int]) -> dict[int, Lot]:
    """The lot rows (with their category) of the few lots a list shows."""
    rows = db.session.scalars(
        sa.select(Lot).options(joinedload(Lot.category)).where(Lot.id.in_(list(ids)))
    )
    return {r.id: r for r in rows}


def _grades_of(scope: Iterable[Category], families_of: dict[str, set[str]]) -> frozenset[str]:
    codes = {c.code for c in scope}
    for c in scope:
        if c.parent_id is None:
            codes |= families_of.get(c.code, set())
    return frozenset(codes)


def _families() -> dict[str, set[str]]:
    """Family code → its active grade codes (a family in a licence scope licenses them all)."""
    out: dict[str, set[str]] = {}
    for c in db.session.scalars(sa.select(Category).where(Category.active.is_(True))):
        out.setdefault(c.family_code, set()).add(c.code)
    return out


def _tolerances(org_ids: Sequence[int]) -> dict[int, tuple[float, int]]:
    """The loosest limits among each recycler's open wanted requests (none: no limit)."""
    rows: dict[int, list[tuple[Any, int]]] = {}
    for org, contamination, dql in db.session.execute(
        sa.select(
            WantedRequest.organization_id, WantedRequest.max_contamination_pct,
            WantedRequest.min_dql,
        ).where(WantedRequest.organization_id.in_(list(org_ids)), WantedRequest.open.is_(True))
    ):  # fmt: skip
        rows.setdefault(org, []).append((contamination, dql))
    out = {}
    for org, limits in rows.items():
        given = [float(c) for c, _ in limits if c is not None]
        contamination = max(given) if len(given) == len(limits) else 100.0
        out[org] = (min(contamination, 100.0), int(min(d for _, d in limits)))
    return out


def _make_buyer(
    profile: RecyclerProfile,
    grades: frozenset[str],
    site: tuple[float, float] | None,
    remaining_g: int,
    tolerance: tuple[float, int],
) -> matching.Buyer:
    if not grades or site is None:
        raise NoLicence()
    return matching.Buyer(
        id=str(profile.organization_id),
        lat=float(site[0]),
        lon=float(site[1]),
        permitted_categories=grades,
        permitted_hw_codes=frozenset(profile.hw_codes or ()),
        radius_km=float(profile.haul_radius_km),
        capacity_t=max(remaining_g, 0) / GRAMS_PER_T,
        max_contamination_pct=tolerance[0],
        min_dql=tolerance[1],
    )


def to_buyer(profile: RecyclerProfile, now: datetime) -> matching.Buyer:
    """A recycler's licence and limits as the library's `Buyer`; `NoLicence` without scope."""
    facts = buyer_facts(profile.organization_id, now)
    if facts is None:
        raise NoLicence()
    tolerance = _tolerances([profile.organization_id]).get(profile.organization_id, (100.0, 0))
    site = facts.sites[0] if facts.sites else None
    grades = _grades_of(profile.scope, _families())
    return _make_buyer(profile, grades, site, facts.remaining_capacity_g, tolerance)


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
    """Every recycler that has a usable licence (the others cannot be matched and are left
    out), in a fixed number of queries however many there are: first sites, this month's
    awarded tonnes (as trading's eligibility rule counts them), open 求购 limits."""
    profiles = list(
        db.session.execute(
            sa.select(RecyclerProfile)
            .options(joinedload(RecyclerProfile.scope))
            .order_by(RecyclerProfile.id)
        )
        .unique()
        .scalars()
    )
    orgs = [p.organization_id for p in profiles]
    sites: dict[int, tuple[float, float]] = {}
    for org, lat, lon in db.session.execute(
        sa.select(Site.organization_id, Site.lat, Site.lon)
        .where(Site.organization_id.in_(orgs))
        .order_by(Site.id)
    ):
        sites.setdefault(org, (lat, lon))
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    awarded = dict(
        db.session.execute(
            sa.select(Trade.buyer_id, sa.func.sum(Trade.quantity_g))
            .where(
                Trade.buyer_id.in_(orgs),
                Trade.created_at >= month_start,
                Trade.status != TradeStatus.CANCELLED,
            )
            .group_by(Trade.buyer_id)
        ).all()
    )
    tolerances = _tolerances(orgs)
    families = _families()
    out = []
    for p in profiles:
        remaining = p.capacity_t_per_month * GRAMS_PER_T - int(awarded.get(p.organization_id) or 0)
        try:
            out.append(
                _make_buyer(
                    p,
                    _grades_of(p.scope, families),
                    sites.get(p.organization_id),
                    remaining,
                    tolerances.get(p.organization_id, (100.0, 0)),
                )
            )
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
