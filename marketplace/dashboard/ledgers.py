"""Statutory exports a factory hands the environment bureau, filled from what the platform
recorded: the 一般工业固体废物管理台账 (after HJ 1259-2022: generation, storage, utilisation
and disposal, with the receiver's 统一社会信用代码) and, for hazardous lots, the fields of the
电子转移联单 (electronic transfer manifest).

The platform is not the national solid-waste system: it cannot know a manifest number the
provincial system issues, a disposal the receiver never reported, or a hazard characteristic
nobody entered. Those columns stay empty and their headers say so, rather than guessing.

Weights: the station's or weighbridge's net where something weighed it, the declared
quantity otherwise, and a column says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import Invalid, NotFound
from core.i18n import N_
from core.models import Organization
from marketplace.dashboard.flows import Period
from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop
from marketplace.fleet.models import Vehicle
from marketplace.lots.models import Lot, LotVersion
from marketplace.trading.models import Trade, TradeStatus
from station.models import Stage, Weighing
from station.reports import Column

# HJ 1259-2022 附录: recyclable scrap (metals, paper, plastics, rubber, glass, textiles) is
# SW17 可再生类废物; the platform's grade code is given beside it.
SW_CODE, SW_NAME = "SW17", N_("可再生类废物")
UNKNOWN = N_("（平台无此数据）")
FORMS = {
    "loose": (N_("固态"), N_("散装")),
    "bale": (N_("固态"), N_("打包")),
    "big_bag": (N_("固态"), N_("吨袋")),
    "drum": (N_("固态"), N_("桶装")),
    "pallet": (N_("固态"), N_("托盘")),
    "roll": (N_("固态"), N_("成卷")),
    "box": (N_("固态"), N_("箱装")),
    "bulk": (N_("固态"), N_("散装")),
}
BASIS = {"weighed": N_("过磅净重"), "declared": N_("申报量（未过磅）")}


def kg(grams: int | None) -> Decimal | None:
    """Grams as kilograms to the gram (Decimal, never a float)."""
    return None if grams is None else Decimal(grams) / 1000


SOLID_WASTE_COLUMNS = [
    Column("date", N_("日期")),
    Column("step", N_("环节")),
    Column("waste_name", N_("废物名称")),
    Column("grade_code", N_("平台品类代码")),
    Column("category_code", N_("废物类别代码")),
    Column("category_name", N_("废物类别")),
    Column("quantity_kg", N_("数量（kg）")),
    Column("basis", N_("计量依据")),
    Column("receiver", N_("去向/接收单位")),
    Column("receiver_uscc", N_("接收单位统一社会信用代码")),
    Column("storage", N_("贮存")),
    Column("utilisation", N_("利用方式")),
    Column("disposal", N_("处置") + UNKNOWN),
    Column("record", N_("平台记录号")),
]
MANIFEST_COLUMNS = [
    Column("manifest_no", N_("联单编号") + UNKNOWN),
    Column("reference", N_("平台业务单号")),
    Column("shipper", N_("移出人")),
    Column("shipper_uscc", N_("移出人统一社会信用代码")),
    Column("carrier", N_("承运人")),
    Column("vehicle", N_("运输车辆")),
    Column("receiver", N_("接受人")),
    Column("receiver_uscc", N_("接受人统一社会信用代码")),
    Column("waste_name", N_("废物名称")),
    Column("hw_codes", N_("废物代码")),
    Column("hazard", N_("危险特性") + UNKNOWN),
    Column("quantity_kg", N_("数量（kg）")),
    Column("basis", N_("计量依据")),
    Column("state", N_("形态")),
    Column("packaging", N_("包装方式")),
    Column("shipped_at", N_("运输时间")),
    Column("received_at", N_("接收时间")),
    Column("end_use", N_("利用/处置方式")),
]


@dataclass(frozen=True)
class Ledger:
    """One factory's rows for a period, ready for `station.reports.to_csv/to_xlsx`."""

    factory: Organization
    rows: list[dict[str, Any]]


def factory(org_id: int) -> Organization:
    """The factory a ledger is for: a producer organisation, or a 404/422 naming `org`."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound("企业不存在", {"org": "not found"})
    if org.kind != OrgKind.PRODUCER:
        raise Invalid("台账只适用于产废企业", {"org": "not a producer"})
    return org


def _latest_versions() -> Any:
    """Per lot, its newest archive version (form, HW codes, industry) as a subquery."""
    newest = (
        sa.select(LotVersion.lot_id, sa.func.max(LotVersion.number).label("number"))
        .group_by(LotVersion.lot_id)
        .subquery()
    )
    return (
        sa.select(LotVersion)
        .join(
            newest,
            sa.and_(newest.c.lot_id == LotVersion.lot_id, newest.c.number == LotVersion.number),
        )
        .subquery()
    )


def solid_waste(org_id: int, period: Period) -> Ledger:
    """一般工业固体废物管理台账: the lots the factory generated (listed) in the period, the
    deliveries a station weighed in (送站贮存), and the trades to users (委托利用)."""
    org = factory(org_id)
    rows: list[dict[str, Any]] = []
    for lot, category in db.session.execute(
        sa.select(Lot, Category)
        .join(Category, Category.id == Lot.category_id)
        .where(
            Lot.organization_id == org.id,
            Lot.hazardous.is_(False),
            Lot.created_at >= period.start,
            Lot.created_at < period.end,
        )
    ):
        rows.append(
            _row(lot.created_at, N_("产生"), category, lot.quantity_g, "declared", f"L{lot.id}")
        )
    station = aliased(Organization)
    w, redo = Weighing, aliased(Weighing)
    for weighing, category, receiver in db.session.execute(
        sa.select(w, Category, station)
        .join(Category, Category.id == w.category_id)
        .join(station, station.id == w.station_id)
        .where(
            w.factory_id == org.id,
            w.stage == Stage.RECEIVE,
            ~w.total,
            w.created_at >= period.start,
            w.created_at < period.end,
            ~sa.exists(sa.select(redo.id).where(redo.replaces_id == w.id)),
        )
    ):
        row = _row(
            weighing.created_at,
            N_("送回收站"),
            category,
            weighing.net_g,
            "weighed",
            f"W{weighing.id}",
        )
        row.update(
            receiver=receiver.legal_name, receiver_uscc=receiver.uscc, storage=N_("回收站暂存")
        )
        rows.append(row)
    buyer = aliased(Organization)
    at = sa.func.coalesce(Trade.delivered_at, Trade.created_at)
    for trade, _lot, category, receiver in db.session.execute(
        sa.select(Trade, Lot, Category, buyer)
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .join(buyer, buyer.id == Trade.buyer_id)
        .where(
            Trade.seller_id == org.id,
            Lot.hazardous.is_(False),
            Trade.status != TradeStatus.CANCELLED,
            at >= period.start,
            at < period.end,
        )
    ):
        grams, basis = (
            (trade.net_g, "weighed") if trade.net_g is not None else (trade.quantity_g, "declared")
        )
        row = _row(
            trade.delivered_at or trade.created_at,
            N_("委托利用"),
            category,
            grams,
            basis,
            f"T{trade.id}",
        )
        row.update(
            receiver=receiver.legal_name,
            receiver_uscc=receiver.uscc,
            utilisation=trade.end_use or "",
        )
        rows.append(row)
    rows.sort(key=lambda r: (r["date"], r["record"]))
    return Ledger(org, rows)


def _row(
    at: datetime, step: str, category: Category, grams: int, basis: str, record: str
) -> dict[str, Any]:
    return {
        "date": at,
        "step": step,
        "waste_name": category.name_zh,
        "grade_code": category.code,
        "category_code": SW_CODE,
        "category_name": SW_NAME,
        "quantity_kg": kg(grams),
        "basis": BASIS[basis],
        "receiver": "",
        "receiver_uscc": "",
        "storage": "",
        "utilisation": "",
        "disposal": "",
        "record": record,
    }


def _carriers(trade_ids: list[int]) -> dict[int, tuple[str, str, str, datetime | None]]:
    """Per trade, who carried it on a published route: (company, USCC, plate, pickup time)."""
    if not trade_ids:
        return {}
    query = (
        sa.select(
            PickupRequest.trade_id,
            Organization.legal_name,
            Organization.uscc,
            Vehicle.plate,
            RouteStop.confirmed_at,
        )
        .join(RouteStop, RouteStop.request_id == PickupRequest.id)
        .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
        .join(Organization, Organization.id == RoutePlan.organization_id)
        .join(Vehicle, Vehicle.id == RouteStop.vehicle_id)
        .where(
            PickupRequest.trade_id.in_(trade_ids),
            RouteStop.kind == "pickup",
            RoutePlan.state == "published",
        )
        .order_by(RoutePlan.id)
    )
    return {trade_id: rest for trade_id, *rest in db.session.execute(query)}


def manifests(org_id: int, period: Period) -> Ledger:
    """电子转移联单 fields for the factory's hazardous lots traded in the period."""
    org = factory(org_id)
    version = aliased(LotVersion, _latest_versions())
    buyer = aliased(Organization)
    at = sa.func.coalesce(Trade.delivered_at, Trade.created_at)
    found = db.session.execute(
        sa.select(Trade, Lot, Category, buyer, version)
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .join(buyer, buyer.id == Trade.buyer_id)
        .join(version, version.lot_id == Lot.id)
        .where(
            Trade.seller_id == org.id,
            Lot.hazardous.is_(True),
            Trade.status != TradeStatus.CANCELLED,
            at >= period.start,
            at < period.end,
        )
        .order_by(Trade.id)
    ).all()
    carriers = _carriers([trade.id for trade, *_ in found])
    rows = []
    for trade, _lot, category, receiver, archive in found:
        carrier, carrier_uscc, plate, shipped = carriers.get(trade.id, ("", "", "", None))
        state, packaging = FORMS.get(archive.form.value, ("", ""))
        grams, basis = (
            (trade.net_g, "weighed") if trade.net_g is not None else (trade.quantity_g, "declared")
        )
        rows.append(
            {
                "manifest_no": "",
                "reference": f"T{trade.id}",
                "shipper": org.legal_name,
                "shipper_uscc": org.uscc,
                "carrier": f"{carrier}（{carrier_uscc}）" if carrier else "",
                "vehicle": plate,
                "receiver": receiver.legal_name,
                "receiver_uscc": receiver.uscc,
                "waste_name": category.name_zh,
                "hw_codes": "、".join(archive.hw_codes or category.hw_codes or []),
                "hazard": "",
                "quantity_kg": kg(grams),
                "basis": BASIS[basis],
                "state": state,
                "packaging": packaging,
                "shipped_at": shipped,
                "received_at": trade.delivered_at,
                "end_use": trade.end_use or "",
            }
        )
    return Ledger(org, rows)
