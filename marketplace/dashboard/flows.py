"""Material flows of a period from the platform's records, for the Sankey, the map and the
symbiosis network (the pictures are drawn by the pure `flowgraph`).

Three sources, each weighed first:
- station intake (收料): a factory's delivery weighed at the station (latest record only, a
  复称 replaces the record it corrects; stage totals are not scale readings) → weighed;
- station outbound sales (出库): loads weighed on the weighbridge to a buyer → weighed;
- market trades: the buyer's weighbridge net once delivered, the seller's declared quantity
  while nothing has weighed it → declared, and said so on every link.
Cancelled trades moved nothing and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.i18n import N_
from core.models import Organization
from marketplace.dashboard.flowgraph import DECLARED, WEIGHED, Flow, Node, tonnes
from marketplace.lots.models import Lot
from marketplace.trading.models import Trade, TradeStatus
from station.models import Stage, Weighing
from station.models.outbound import OutboundLoad, OutboundPlan

BASIS_LABEL = {WEIGHED: N_("过磅净重"), DECLARED: N_("申报量（未过磅）")}
MAX_RECORDS = 20_000  # a drill-down beyond this must be narrowed (family, organisation, dates)


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime


def _family(code: str | None) -> str:
    return (code or "").split("-")[0]


def _layer(kind: OrgKind) -> str:
    return "station" if kind == OrgKind.STATION else "producer"


def _intake(period: Period, org_id: int | None) -> list[Flow]:
    w, redo = Weighing, aliased(Weighing)
    query = (
        sa.select(w.id, w.factory_id, w.station_id, Category.code, w.net_g)
        .join(Category, Category.id == w.category_id)
        .where(
            w.stage == Stage.RECEIVE,
            ~w.total,
            w.factory_id.is_not(None),
            w.created_at >= period.start,
            w.created_at < period.end,
            ~sa.exists(sa.select(redo.id).where(redo.replaces_id == w.id)),
        )
    )
    if org_id is not None:
        query = query.where(sa.or_(w.factory_id == org_id, w.station_id == org_id))
    return [
        Flow(factory, station, _family(code), net, WEIGHED, "producer", "station", f"W{wid}")
        for wid, factory, station, code, net in db.session.execute(query)
    ]


def _outbound(period: Period, org_id: int | None) -> list[Flow]:
    load, plan = OutboundLoad, OutboundPlan
    query = (
        sa.select(load.id, plan.station_id, plan.buyer_id, Category.code, load.net_g)
        .join(plan, plan.id == load.plan_id)
        .join(Category, Category.id == plan.category_id)
        .where(load.created_at >= period.start, load.created_at < period.end)
    )
    if org_id is not None:
        query = query.where(sa.or_(plan.station_id == org_id, plan.buyer_id == org_id))
    return [
        Flow(station, buyer, _family(code), net, WEIGHED, "station", "buyer", f"O{lid}")
        for lid, station, buyer, code, net in db.session.execute(query)
    ]


def _trades(period: Period, org_id: int | None) -> list[Flow]:
    t, seller = Trade, aliased(Organization)
    at = sa.func.coalesce(t.delivered_at, t.created_at)
    query = (
        sa.select(
            t.id, t.seller_id, seller.kind, t.buyer_id, Lot.family_code, t.net_g, t.quantity_g
        )
        .join(Lot, Lot.id == t.lot_id)
        .join(seller, seller.id == t.seller_id)
        .where(t.status != TradeStatus.CANCELLED, at >= period.start, at < period.end)
    )
    if org_id is not None:
        query = query.where(sa.or_(t.seller_id == org_id, t.buyer_id == org_id))
    flows = []
    for tid, seller_id, kind, buyer_id, family, net, declared in db.session.execute(query):
        grams, basis = (net, WEIGHED) if net is not None else (declared, DECLARED)
        flows.append(
            Flow(seller_id, buyer_id, family, grams, basis, _layer(kind), "buyer", f"T{tid}")
        )
    return flows


def flows(period: Period, org_id: int | None = None, family: str | None = None) -> list[Flow]:
    """Every flow of the period (touching `org_id` when given; of one family when given)."""
    found = _intake(period, org_id) + _outbound(period, org_id) + _trades(period, org_id)
    return [f for f in found if not family or f.family == family]


def nodes(flow_list: list[Flow]) -> dict[int, Node]:
    """The enterprises the flows touch, with names and coordinates for the map."""
    ids = {f.source for f in flow_list} | {f.target for f in flow_list}
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Organization).where(Organization.id.in_(ids)))
    return {o.id: Node(o.id, o.legal_name, o.kind.value, o.lat, o.lon) for o in rows}


def site_map(flow_list: list[Flow], found: dict[int, Node]) -> dict[str, object]:
    """The schematic map: enterprises as points at their coordinates, flows as lines between
    them with tonnes (ECharts scatter + lines on a plain lon/lat plane; no map tiles)."""
    pairs: dict[tuple[int, int], int] = {}
    for f in flow_list:
        pairs[(f.source, f.target)] = pairs.get((f.source, f.target), 0) + f.grams
    points = [
        {"id": n.id, "name": n.name, "kind": n.kind, "value": [n.lon, n.lat]}
        for n in found.values()
        if n.lat is not None and n.lon is not None
    ]
    located = {p["id"] for p in points}
    lines = [
        {
            "source": a,
            "target": b,
            "coords": [[found[a].lon, found[a].lat], [found[b].lon, found[b].lat]],
            "value_t": tonnes(grams),
        }
        for (a, b), grams in sorted(pairs.items())
        if a in located and b in located and grams > 0
    ]
    return {"points": points, "lines": lines}


def records(flow_list: list[Flow], found: dict[int, Node]) -> list[dict[str, object]]:
    """The rows behind the pictures, for drill-down and export: one per weighing, load or
    trade, with both parties, family, kilograms and whether it was weighed or declared."""
    kinds = {"W": N_("收料称重"), "O": N_("出库过磅"), "T": N_("交易")}
    return [
        {
            "record": f.record,
            "source_kind": kinds[f.record[:1]],
            "from_id": f.source,
            "from_name": found[f.source].name if f.source in found else "",
            "to_id": f.target,
            "to_name": found[f.target].name if f.target in found else "",
            "family": f.family,
            "kg": f.grams / 1000,
            "basis": BASIS_LABEL[f.basis],
        }
        for f in flow_list
    ]


def local_period(first: date, last: date, tz: str) -> Period:
    """Local calendar days `first`..`last` inclusive as a UTC half-open period."""
    zone = ZoneInfo(tz)
    start = datetime.combine(first, time.min, zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    return Period(start, end)
