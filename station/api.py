"""The station's API: standing data, the six stages, outbound sales, packages and weighings.

With the pages in `views/`, the only part of the package that touches Flask. Access is
declared with the kernel's rules and enforced by the web shell; the actor comes from
`core.access`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_smorest import Blueprint

from core.access import access, request_actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid, NotFound
from core.time import utcnow
from station import quota
from station.models import (
    Delivery,
    Location,
    OutboundPlan,
    Package,
    Scale,
    StandardTare,
    Weighing,
    WorkOrder,
)
from station.scales.registry import REGISTRY
from station.schemas import (
    BaleSchema,
    DeliverSchema,
    DeliveryNoteSchema,
    LoadSchema,
    LocationSchema,
    PackageSchema,
    PlanSchema,
    RatioSetSchema,
    ReceiveSchema,
    RecordSchema,
    ReweighSchema,
    ScaleReadingSchema,
    SortSchema,
    TareSchema,
    ToleranceSchema,
    WarehouseInSchema,
    WeighingSchema,
    WorkOrderSchema,
)
from station.services import outbound, setup, stages, work_orders
from station.services.common import package_by_label, readable, station_of
from station.services.weigh import Gross, TareSpec, manual

blp = Blueprint("station_api", __name__, url_prefix="/api/v1/station", description="回收站定额管理")
STATION = [OrgKind.STATION]
STAFF = [OrgKind.STATION, OrgKind.ADMIN]
FACTORY_OR_STATION = [OrgKind.STATION, OrgKind.PRODUCER, OrgKind.ADMIN]
WRITERS = [Role.MANAGER, Role.OPERATOR]
READERS = [OrgKind.STATION, OrgKind.ADMIN, OrgKind.GOVERNMENT]


def tz() -> str:
    return current_app.config["TIMEZONE"]


def gross_from(data: dict[str, Any], station_id: int) -> Gross:
    """A weight field as a gross reading: the scale's stable reading now, or a manual entry."""
    if data["scale_id"] is None:
        return manual(data["manual_kg"], data["manual_reason"])
    scale = db.session.get(Scale, data["scale_id"])
    if scale is None or scale.organization_id != station_id:
        raise Invalid("秤不存在或不属于本回收站", {"scale_id": "unknown"})
    kg, raw = REGISTRY.stable_kg(scale, float(current_app.config["STATION_SCALE_WAIT_S"]))
    return Gross(kg, scale.id, raw)


def tare_specs(items: list[dict[str, Any]]) -> list[TareSpec]:
    return [TareSpec(t["kind"], t["ref"], t["measured_kg"]) for t in items]


def _commit(value: Any) -> Any:
    db.session.commit()
    return value


def _latest(model: Any) -> sa.Select:
    """The newest 200 rows of a station table: a station sees its own, readers all stations'."""
    actor = request_actor()
    stmt = sa.select(model).order_by(model.id.desc()).limit(200)
    if actor.org_kind is OrgKind.STATION:
        stmt = stmt.where(model.station_id == actor.org_id)
    return stmt


# -- standing data --------------------------------------------------------------------------


@blp.route("/tares", methods=["GET"])
@access(kinds=STATION)
@blp.response(200, TareSchema(many=True))
def list_tares() -> Any:
    """My station's standard tares (vehicles, containers, pallets) with their validity."""
    sid = station_of(request_actor())
    return db.session.scalars(
        sa.select(StandardTare).where(StandardTare.organization_id == sid).order_by(StandardTare.id)
    ).all()


@blp.route("/tares", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(TareSchema)
@blp.response(201, TareSchema)
def add_tare(data: dict[str, Any]) -> Any:
    """Record a standard tare; an expired one blocks weighings until re-measured."""
    return _commit(
        setup.add_tare(
            request_actor(),
            data["kind"],
            data["ref"],
            data["weight_kg"],
            data["valid_from"],
            data["valid_until"],
        )
    )


@blp.route("/locations", methods=["GET"])
@access(kinds=STATION)
@blp.response(200, LocationSchema(many=True))
def list_locations() -> Any:
    """My station's storage locations."""
    sid = station_of(request_actor())
    return db.session.scalars(
        sa.select(Location).where(Location.organization_id == sid).order_by(Location.code)
    ).all()


@blp.route("/locations", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(LocationSchema)
@blp.response(201, LocationSchema)
def add_location(data: dict[str, Any]) -> Any:
    """Add a storage location (库位)."""
    return _commit(setup.add_location(request_actor(), data["code"], data["name"]))


@blp.route("/tolerances", methods=["PUT"])
@access(kinds=STATION, roles=[Role.MANAGER])
@blp.arguments(ToleranceSchema)
@blp.response(200, ToleranceSchema)
def set_tolerance(data: dict[str, Any]) -> Any:
    """Set tolerance C for a control point and material (grade omitted: the point's default)."""
    row = setup.set_tolerance(request_actor(), data["control_point"], data["grade"], data["policy"])
    db.session.commit()
    return {"control_point": row.control_point, "grade": data["grade"], "policy": row.policy}


@blp.route("/ratio-sets", methods=["POST"])
@access(kinds=STATION, roles=[Role.MANAGER])
@blp.arguments(RatioSetSchema)
@blp.response(201, RatioSetSchema)
def add_ratio_set(data: dict[str, Any]) -> Any:
    """A new version of an input material's sorting ratios (sum exactly 1 with a residue)."""
    return _commit(
        setup.add_ratio_set(
            request_actor(), data["grade"], data["lines"], data["valid_from"], data["valid_until"]
        )
    )


@blp.route("/production-records", methods=["POST"])
@access(kinds=FACTORY_OR_STATION, roles=WRITERS)
@blp.arguments(RecordSchema)
@blp.response(201, RecordSchema)
def add_production_record(data: dict[str, Any]) -> Any:
    """A factory's plan, output or handover record that sets what it should deliver."""
    return _commit(setup.add_production_record(request_actor(), **data))


@blp.route("/deliveries", methods=["POST"])
@access(kinds=FACTORY_OR_STATION, roles=WRITERS)
@blp.arguments(DeliveryNoteSchema)
@blp.response(201, DeliveryNoteSchema)
def create_delivery(data: dict[str, Any]) -> Any:
    """A delivery note (送料单) referencing the production records it delivers against."""
    return _commit(setup.create_delivery(request_actor(), **data, now=utcnow()))


@blp.route("/deliveries", methods=["GET"])
@access(kinds=[*READERS, OrgKind.PRODUCER])
@blp.response(200, DeliveryNoteSchema(many=True))
def list_deliveries() -> Any:
    """Delivery notes: my station's, or (a factory) the ones I sent."""
    actor = request_actor()
    stmt = _latest(Delivery)
    if actor.org_kind is OrgKind.PRODUCER:
        stmt = stmt.where(Delivery.factory_id == actor.org_id)
    return db.session.scalars(stmt).all()


# -- the stages -----------------------------------------------------------------------------


@blp.route("/deliveries/<int:delivery_id>/deliver", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(DeliverSchema)
@blp.response(201, PackageSchema(many=True))
def deliver(data: dict[str, Any], delivery_id: int) -> Any:
    """送料: weigh and label each package of a delivery."""
    actor = request_actor()
    sid = station_of(actor)
    packages = [
        (gross_from(p["weight"], sid), tuple(tare_specs(p["tares"]))) for p in data["packages"]
    ]
    return _commit(
        stages.deliver(
            actor, delivery_id, packages, now=utcnow(), tz=tz(), work_order=data["work_order"]
        )
    )


def _deductions(items: list[dict[str, Any]]) -> list[quota.Deduction]:
    return [quota.Deduction(d["kind"], d["kg"], d["reason"]) for d in items]


@blp.route("/deliveries/<int:delivery_id>/receive", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(ReceiveSchema)
@blp.response(201, WeighingSchema)
def receive(data: dict[str, Any], delivery_id: int) -> Any:
    """收料 (CP1): weigh the delivery against its production records."""
    actor = request_actor()
    sid = station_of(actor)
    return _commit(
        stages.receive(
            actor,
            delivery_id,
            gross_from(data["weight"], sid),
            tare_specs(data["tares"]),
            now=utcnow(),
            tz=tz(),
            line=data["line"],
            deductions=_deductions(data["deductions"]),
            work_order=data["work_order"],
        )
    )


@blp.route("/sort", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(SortSchema)
@blp.response(201, WeighingSchema(many=True))
def sort(data: dict[str, Any]) -> Any:
    """分拣 (CP2): weigh each output of a receipt against its ratio."""
    actor = request_actor()
    sid = station_of(actor)
    outputs = [
        stages.Output(o["line"], gross_from(o["weight"], sid), tuple(tare_specs(o["tares"])))
        for o in data["outputs"]
    ]
    return _commit(
        stages.sort(
            actor,
            data["receipt"],
            outputs,
            now=utcnow(),
            tz=tz(),
            line=data["line"],
            work_order=data["work_order"],
        )
    )


@blp.route("/bale", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(BaleSchema)
@blp.response(201, WeighingSchema)
def bale(data: dict[str, Any]) -> Any:
    """打包 (CP3): press sorted packages (wholly or in part) into a bale."""
    actor = request_actor()
    sid = station_of(actor)
    picks: dict[str, Any] = {}
    for pick in data["picks"]:
        picks[pick["label"]] = picks.get(pick["label"], 0) + pick["kg"]
    return _commit(
        stages.bale(
            actor,
            picks,
            gross_from(data["weight"], sid),
            tare_specs(data["tares"]),
            now=utcnow(),
            tz=tz(),
            line=data["line"],
            work_order=data["work_order"],
        )
    )


@blp.route("/warehouse-in", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(WarehouseInSchema)
@blp.response(201, WeighingSchema)
def warehouse_in(data: dict[str, Any]) -> Any:
    """入库: re-weigh a bale onto a location."""
    actor = request_actor()
    sid = station_of(actor)
    return _commit(
        stages.warehouse_in(
            actor,
            data["label"],
            data["location"],
            gross_from(data["weight"], sid),
            tare_specs(data["tares"]),
            now=utcnow(),
            tz=tz(),
            work_order=data["work_order"],
        )
    )


# -- work orders ------------------------------------------------------------------------------


@blp.route("/work-orders", methods=["GET"])
@access(kinds=STATION)
@blp.response(200, WorkOrderSchema(many=True))
def list_work_orders() -> Any:
    """My station's work orders, newest first (open and closed)."""
    sid = station_of(request_actor())
    return db.session.scalars(
        sa.select(WorkOrder)
        .where(WorkOrder.station_id == sid)
        .order_by(WorkOrder.id.desc())
        .limit(200)
    ).all()


@blp.route("/work-orders", methods=["POST"])
@access(kinds=STATION, roles=[Role.MANAGER])
@blp.arguments(WorkOrderSchema)
@blp.response(201, WorkOrderSchema)
def create_work_order(data: dict[str, Any]) -> Any:
    """A stage's task for a shift and a line, with the staff assigned to weigh against it."""
    return _commit(setup.create_work_order(request_actor(), **data))


@blp.route("/work-orders/<int:order_id>/close", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.response(200, WorkOrderSchema)
def close_work_order(order_id: int) -> Any:
    """Close an order: nothing more is booked against it (its weighings keep it)."""
    return _commit(work_orders.close(request_actor(), order_id, now=utcnow()))


# -- outbound ---------------------------------------------------------------------------------


@blp.route("/outbound-plans", methods=["GET"])
@access(kinds=READERS)
@blp.response(200, PlanSchema(many=True))
def list_plans() -> Any:
    """Outbound plans of my station."""
    return db.session.scalars(_latest(OutboundPlan)).all()


@blp.route("/outbound-plans", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(PlanSchema)
@blp.response(201, PlanSchema)
def create_plan(data: dict[str, Any]) -> Any:
    """Plan an outbound sale to a buyer (approved only while the buyer's escrow covers it)."""
    return _commit(outbound.create_plan(request_actor(), **data, now=utcnow()))


@blp.route("/outbound-plans/<int:plan_id>/approve", methods=["POST"])
@access(kinds=STATION, roles=[Role.MANAGER])
@blp.response(200, PlanSchema)
def approve_plan(plan_id: int) -> Any:
    """Approve: check and hold the buyer's escrow in one transaction (equal passes)."""
    return _commit(outbound.approve(request_actor(), plan_id, now=utcnow()))


@blp.route("/outbound-plans/<int:plan_id>/loads", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(LoadSchema)
@blp.response(201, WeighingSchema)
def load(data: dict[str, Any], plan_id: int) -> Any:
    """出库 (CP4): a vehicle leaves with scanned bales, weighed on the weighbridge."""
    actor = request_actor()
    sid = station_of(actor)
    plate = data["vehicle_plate"]
    return _commit(
        outbound.load(
            actor,
            plan_id,
            vehicle_plate=plate,
            gross=gross_from(data["weight"], sid),
            vehicle_tare=TareSpec(quota.TareKind.VEHICLE, plate, data["vehicle_tare_kg"]),
            labels=data["labels"],
            vehicle_capacity_kg=data["vehicle_capacity_kg"],
            now=utcnow(),
            tz=tz(),
            work_order=data["work_order"],
        )
    )


@blp.route("/outbound-plans/<int:plan_id>/close", methods=["POST"])
@access(kinds=STATION, roles=[Role.MANAGER])
@blp.response(200, PlanSchema)
def close_plan(plan_id: int) -> Any:
    """Close a plan; the buyer's money still held for it is released."""
    return _commit(outbound.close_plan(request_actor(), plan_id, now=utcnow()))


# -- reading back -------------------------------------------------------------------------------


@blp.route("/packages/<label>", methods=["GET"])
@access(kinds=READERS)
@blp.response(200, PackageSchema)
def get_package(label: str) -> Any:
    """Scanning a label finds its package."""
    actor = request_actor()
    if actor.org_kind is OrgKind.STATION:
        return package_by_label(actor.org_id, label)
    found = db.session.scalar(sa.select(Package).where(Package.label == label.upper()))
    if found is None:
        raise NotFound("标签 %(label)s 不存在", {"label": "unknown"}, label=label)
    readable(actor, found.station_id)
    return found


@blp.route("/weighings", methods=["GET"])
@access(kinds=READERS)
@blp.response(200, WeighingSchema(many=True))
def list_weighings() -> Any:
    """My station's latest weighings with their checks (the process records)."""
    return db.session.scalars(_latest(Weighing)).all()


@blp.route("/weighings/<int:weighing_id>/reweigh", methods=["POST"])
@access(kinds=STATION, roles=WRITERS)
@blp.arguments(ReweighSchema)
@blp.response(201, WeighingSchema)
def reweigh(data: dict[str, Any], weighing_id: int) -> Any:
    """复称: a new weighing that corrects this one (which stays, linked), while nothing
    downstream has used the package."""
    actor = request_actor()
    return _commit(
        stages.reweigh(
            actor,
            weighing_id,
            gross_from(data["weight"], station_of(actor)),
            tare_specs(data["tares"]),
            now=utcnow(),
        )
    )


@blp.route("/scales/<int:scale_id>/reading", methods=["GET"])
@access(kinds=STAFF)
@blp.response(200, ScaleReadingSchema)
def scale_reading(scale_id: int) -> Any:
    """What a scale shows now: connection, the latest reading and whether it is stable."""
    actor = request_actor()
    scale = db.session.get(Scale, scale_id)
    if scale is None or not (actor.is_admin or scale.organization_id == actor.org_id):
        raise NotFound("秤不存在")
    status = REGISTRY.status(scale)
    latest = status.latest
    return {
        "scale_id": scale.id,
        "connected": status.connected,
        "frames": status.frames,
        "errors": status.errors,
        "weight": str(latest.weight) if latest else None,
        "unit": (latest.unit or scale.unit) if latest else scale.unit,
        "stable": latest.stable if latest else None,
        "at": status.last_frame_at.isoformat() if status.last_frame_at else None,
    }
