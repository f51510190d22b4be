"""Where pickup requests come from: gathered on demand, when a dispatcher updates or plans a day.

Why a query from the market side and not a hook: the station may not import the marketplace
(DESIGN.md), so an approved outbound plan cannot announce itself here; and trades change state
in several places. Gathering reads the current rows — trades whose pickup is scheduled,
station outbound plans that are approved and not yet fully loaded, and listed recurring lots
due that day (daily; weekly on the weekday they were listed; monthly on that day of the month),
collected to the nearest station of their cluster — and adds one
`PickupRequest` per source and day (a unique constraint makes a second gathering add nothing).
A request already gathered keeps its figures, so a plan made from it stays consistent.

Volume: the market records mass only; m³ is estimated at 250 kg/m³, the bulk density of baled
paper and plastics (loose loads are lighter, so trucks fill by volume first — conservative).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.models import Organization, Site
from marketplace.dispatch.models import PickupRequest
from marketplace.lots.models import Lot, LotStatus, LotVersion
from marketplace.trading.models import Trade, TradeStatus
from station.models.outbound import OutboundLoad, OutboundPlan

KG_PER_M3 = Decimal(250)
DEFAULT_HOURS = "08:00-17:30"
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def window(opening_hours: str | None) -> tuple[int, int]:
    """Seconds from local midnight of a site's "08:00-17:30"; unparseable hours → the default."""
    m = _HOURS.match(opening_hours or "") or _HOURS.match(DEFAULT_HOURS)
    assert m is not None
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if end < start or end > 24 * 3600:
        return window(DEFAULT_HOURS)
    return start, end


def place(org: Organization, site: str) -> str:
    """'长安华达纸品 一厂': a site name alone ("一厂") means nothing on a driver's list."""
    name = org.legal_name.removeprefix("东莞市").removesuffix("有限公司")
    return f"{name} {site}"[:200] if site and site != org.legal_name else name[:200]


def _plant(org: Organization) -> tuple[str, float, float, tuple[int, int]]:
    """A buyer's receiving place: its first site, else the organisation's address."""
    site = org.sites[0] if org.sites else None
    if site is not None:
        return place(org, site.name), site.lat, site.lon, window(site.opening_hours)
    return place(org, ""), org.lat, org.lon, window(DEFAULT_HOURS)


def volume(kg: Decimal) -> Decimal:
    """Estimated m³ of a load of `kg` at the default bulk density."""
    return (kg / KG_PER_M3).quantize(Decimal("0.001"))


def _add(row: PickupRequest, known: set[tuple[str, int]]) -> PickupRequest | None:
    if (row.source, row.source_id) in known:
        return None
    db.session.add(row)
    known.add((row.source, row.source_id))
    return row


def gather(day: date) -> list[PickupRequest]:
    """Add the day's missing requests (flushed, not committed); returns the ones added."""
    known = set(
        db.session.execute(
            sa.select(PickupRequest.source, PickupRequest.source_id).where(PickupRequest.day == day)
        ).tuples()
    )
    added: list[PickupRequest] = []
    trades = db.session.scalars(
        sa.select(Trade).where(Trade.status == TradeStatus.SCHEDULED).order_by(Trade.id)
    )
    for trade in trades:
        lot: Lot = trade.lot
        site: Site = lot.site
        buyer = db.session.get(Organization, trade.buyer_id)
        category = db.session.get(Category, lot.category_id)
        if buyer is None:
            continue
        name, dlat, dlon, (ds, de) = _plant(buyer)
        kg = Decimal(trade.quantity_g) / 1000
        start, end = window(site.opening_hours)
        row = PickupRequest(
            source="trade",
            source_id=trade.id,
            day=day,
            organization_id=lot.organization_id,
            cluster_id=lot.organization.cluster_id,
            site_name=place(lot.organization, site.name),
            lat=site.lat,
            lon=site.lon,
            kg=kg,
            m3=volume(kg),
            window_start_s=start,
            window_end_s=end,
            hazardous=bool(lot.hazardous or (category and category.hazardous)),
            hw_codes=list(category.hw_codes) if category else [],
            dest_kind="plant",
            dest_name=name,
            dest_lat=dlat,
            dest_lon=dlon,
            dest_window_start_s=ds,
            dest_window_end_s=de,
            lot_id=lot.id,
            trade_id=trade.id,
        )
        if _add(row, known) is not None:
            added.append(row)
    loaded = (
        sa.select(sa.func.coalesce(sa.func.sum(OutboundLoad.net_g), 0))
        .where(OutboundLoad.plan_id == OutboundPlan.id)
        .scalar_subquery()
    )
    outbound = db.session.execute(
        sa.select(OutboundPlan, loaded)
        .where(OutboundPlan.state == "approved", OutboundPlan.planned_g > loaded)
        .order_by(OutboundPlan.id)
    ).tuples()
    for plan, loaded_g in outbound:
        station = db.session.get(Organization, plan.station_id)
        buyer = db.session.get(Organization, plan.buyer_id)
        category = db.session.get(Category, plan.category_id)
        if station is None or buyer is None:
            continue
        sname, slat, slon, (start, end) = _plant(station)
        name, dlat, dlon, (ds, de) = _plant(buyer)
        kg = Decimal(plan.planned_g - int(loaded_g)) / 1000
        row = PickupRequest(
            source="outbound",
            source_id=plan.id,
            day=day,
            organization_id=station.id,
            cluster_id=station.cluster_id,
            site_name=sname,
            lat=slat,
            lon=slon,
            kg=kg,
            m3=volume(kg),
            window_start_s=start,
            window_end_s=end,
            hazardous=bool(category and category.hazardous),
            hw_codes=list(category.hw_codes) if category else [],
            dest_kind="plant",
            dest_name=name,
            dest_lat=dlat,
            dest_lon=dlon,
            dest_window_start_s=ds,
            dest_window_end_s=de,
        )
        if _add(row, known) is not None:
            added.append(row)
    added.extend(_recurring(day, known))
    db.session.flush()
    return added


def due(frequency: str | None, listed: date, day: date) -> bool:
    """Whether a recurring lot listed on `listed` has a collection on `day`."""
    if day < listed:
        return False
    if frequency == "daily":
        return True
    if frequency == "weekly":
        return day.weekday() == listed.weekday()
    if frequency == "monthly":
        return day.day == listed.day
    return False


def stations() -> list[Organization]:
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.kind == OrgKind.STATION)
            .order_by(Organization.id)
        )
    )


def lot_request(
    lot: Lot, version: LotVersion, day: date, kg: Decimal, near: list[Organization]
) -> PickupRequest:
    """A collection of `kg` from a lot's site to the nearest station of its cluster (to the
    vehicle's depot when there is none); m³ from the archive's bulk density when given."""
    site: Site = lot.site
    start, end = window(site.opening_hours)
    density = Decimal(version.bulk_density_kg_m3) if version.bulk_density_kg_m3 else KG_PER_M3
    row = PickupRequest(
        source="lot", source_id=lot.id, day=day, organization_id=lot.organization_id,
        cluster_id=lot.organization.cluster_id, site_name=place(lot.organization, site.name),
        lat=site.lat, lon=site.lon, kg=kg, m3=(kg / density).quantize(Decimal("0.001")),
        window_start_s=start, window_end_s=end,
        hazardous=bool(lot.hazardous or lot.category.hazardous),
        hw_codes=list(lot.category.hw_codes or []), lot_id=lot.id,
    )  # fmt: skip
    return to_station(row, near)


def to_station(row: PickupRequest, near: list[Organization]) -> PickupRequest:
    """Send a collection to the nearest station of its cluster (any station when the cluster
    has none; the vehicle's depot when there is no station at all)."""
    same = [st for st in near if st.cluster_id == row.cluster_id] or near
    if same and row.lat is not None and row.lon is not None:
        lat, lon = row.lat, row.lon
        station = min(same, key=lambda st: (st.lat - lat) ** 2 + (st.lon - lon) ** 2)
        name, dlat, dlon, (ds, de) = _plant(station)
        row.dest_kind, row.dest_name, row.dest_lat, row.dest_lon = "station", name, dlat, dlon
        row.dest_window_start_s, row.dest_window_end_s = ds, de
    return row


def _recurring(day: date, known: set[tuple[str, int]]) -> list[PickupRequest]:
    rows = db.session.execute(
        sa.select(Lot, LotVersion)
        .join(LotVersion, sa.and_(LotVersion.lot_id == Lot.id, LotVersion.number == Lot.version))
        .where(Lot.status == LotStatus.LISTED)
        .order_by(Lot.id)
    ).tuples()
    near = stations()
    added: list[PickupRequest] = []
    for lot, version in rows:
        rec = version.recurrence or {}
        listed = (lot.listed_at or lot.created_at).date()
        if not rec.get("recurring") or not due(rec.get("frequency"), listed, day):
            continue
        expected = rec.get("expected_t_per_period")
        kg = Decimal(str(expected)) * 1000 if expected else Decimal(lot.quantity_g) / 1000
        row = lot_request(lot, version, day, kg, near)
        if _add(row, known) is not None:
            added.append(row)
    return added


def open_requests(day: date, cluster_id: int | None) -> list[PickupRequest]:
    """The day's requests a dispatcher of this cluster may plan (all when it has no cluster)."""
    q = sa.select(PickupRequest).where(PickupRequest.day == day)
    if cluster_id is not None:
        q = q.where(
            sa.or_(PickupRequest.cluster_id == cluster_id, PickupRequest.cluster_id.is_(None))
        )
    return list(db.session.scalars(q.order_by(PickupRequest.id)))
