"""Setup pages (managers): scales, standard tares, tolerance policies, sorting ratio sets,
locations, production records and delivery notes, work orders. Each form goes through the API's
schema and the setup service, so a page refuses what the API refuses, with the same message."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_babel import gettext
from marshmallow import fields, validate

from core.access import access, request_actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.i18n import N_
from core.models import Organization, User
from core.schema import BaseSchema
from core.time import utcnow
from station.models import (
    Delivery,
    Location,
    ProductionRecord,
    RatioSet,
    ScaleProtocol,
    Stage,
    StandardTare,
    TolerancePolicy,
    WorkOrder,
)
from station.schemas import (
    DeliveryNoteSchema,
    LocationSchema,
    RatioSetSchema,
    RecordSchema,
    TareSchema,
    ToleranceSchema,
    WorkOrderSchema,
)
from station.services import setup as service
from station.services import work_orders
from station.views import bp
from station.views.common import MANAGERS, STATION, attempt, done, render, scales, sid, text, tz

SECTIONS = [
    "scales",
    "tares",
    "tolerances",
    "ratios",
    "locations",
    "records",
    "deliveries",
    "orders",
]
RATIO_ROWS = 6


class ScaleFormSchema(BaseSchema):
    name_zh = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    protocol = fields.Str(required=True, validate=validate.OneOf([p.value for p in ScaleProtocol]))
    port = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    baud = fields.Int(load_default=9600, validate=validate.Range(min=300, max=921_600))
    parity = fields.Str(load_default="N", validate=validate.OneOf(list("NEOMS")))
    data_bits = fields.Int(load_default=8, validate=validate.OneOf([5, 6, 7, 8]))
    stop_bits = fields.Int(load_default=1, validate=validate.OneOf([1, 2]))
    capacity_kg = fields.Int(required=True, validate=validate.Range(min=1, max=1_000_000))
    division_g = fields.Int(required=True, validate=validate.Range(min=1, max=1_000_000))
    unit = fields.Str(load_default="kg", validate=validate.OneOf(["g", "kg", "t"]))
    variant = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=16))


def local_time(value: str) -> str | None:
    """A date or datetime-local from a form as an aware ISO time in the station's zone (the
    schema refuses what is not a time)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz()))
    return moment.isoformat()


def _policy_band(side: str) -> dict[str, str] | None:
    basis = text(f"{side}_basis")
    if not basis:
        return None
    band = {"basis": basis}
    for key in ("absolute_kg", "percent"):
        if text(f"{side}_{key}"):
            band[key] = text(f"{side}_{key}")
    return band


def _save_scale() -> Any:
    data = ScaleFormSchema().load(
        {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    )
    return service.add_scale(request_actor(), **data)


def _save_tare() -> Any:
    data = TareSchema().load(
        {
            "kind": text("kind"),
            "ref": text("ref"),
            "weight_kg": text("weight_kg") or None,
            "valid_from": local_time(text("valid_from")) or utcnow().isoformat(),
            "valid_until": local_time(text("valid_until")),
        }
    )
    return service.add_tare(
        request_actor(),
        data["kind"],
        data["ref"],
        data["weight_kg"],
        data["valid_from"],
        data["valid_until"],
    )


def _save_tolerance() -> Any:
    policy: dict[str, Any] = {
        "shortfall": _policy_band("shortfall"),
        "excess": _policy_band("excess"),
    }
    for key in ("value_cap_fen", "floor_divisions"):
        if text(key):
            policy[key] = text(key)
    data = ToleranceSchema().load(
        {"control_point": text("control_point"), "grade": text("grade") or None, "policy": policy}
    )
    return service.set_tolerance(
        request_actor(), data["control_point"], data["grade"], data["policy"]
    )


def _save_ratios() -> Any:
    residue = text("residue")
    lines = []
    for i in range(RATIO_ROWS):
        if text(f"line{i}-label") or text(f"line{i}-ratio"):
            line: dict[str, Any] = {
                "label": text(f"line{i}-label"),
                "ratio": text(f"line{i}-ratio"),
                "residue": residue == str(i),
            }
            if text(f"line{i}-grade"):
                line["grade"] = text(f"line{i}-grade")
            lines.append(line)
    data = RatioSetSchema().load(
        {
            "grade": text("grade"),
            "lines": lines,
            "valid_from": local_time(text("valid_from")) or utcnow().isoformat(),
            "valid_until": local_time(text("valid_until")),
        }
    )
    return service.add_ratio_set(
        request_actor(), data["grade"], data["lines"], data["valid_from"], data["valid_until"]
    )


def _save_location() -> Any:
    data = LocationSchema().load({"code": text("code").upper(), "name": text("name")})
    return service.add_location(request_actor(), data["code"], data["name"])


def _save_record() -> Any:
    data = RecordSchema().load(
        {
            "station_id": sid(),
            **{
                k: text(k)
                for k in (
                    "factory_id",
                    "kind",
                    "reference",
                    "grade",
                    "quantity",
                    "unit",
                    "factor",
                    "factor_unit",
                    "record_date",
                )
            },
        }
    )
    return service.add_production_record(request_actor(), **data)


def _save_delivery() -> Any:
    data = DeliveryNoteSchema().load(
        {
            "station_id": sid(),
            "factory_id": text("factory_id"),
            "number": text("number"),
            "grade": text("grade"),
            "record_ids": request.form.getlist("record_ids"),
            "vehicle_plate": text("vehicle_plate"),
        }
    )
    return service.create_delivery(request_actor(), **data, now=utcnow())


def _save_order() -> Any:
    data = WorkOrderSchema().load(
        {
            **{k: text(k) for k in ("number", "stage", "line", "shift", "work_date")},
            "assignees": request.form.getlist("assignees"),
        }
    )
    return service.create_work_order(request_actor(), **data)


SAVERS = {
    "scales": (_save_scale, N_("秤已添加。")),
    "tares": (_save_tare, N_("标准皮重已保存。")),
    "tolerances": (_save_tolerance, N_("容差策略已保存。")),
    "ratios": (_save_ratios, N_("新的分拣配比版本已保存。")),
    "locations": (_save_location, N_("库位已添加。")),
    "records": (_save_record, N_("生产记录已保存。")),
    "deliveries": (_save_delivery, N_("送料单已登记。")),
    "orders": (_save_order, N_("工单已创建。")),
}


def _rows(model: Any, owner: Any, order: Any, limit: int = 200) -> list[Any]:
    return list(
        db.session.scalars(sa.select(model).where(owner == sid()).order_by(order).limit(limit))
    )


def setup_context(section: str) -> dict[str, Any]:
    """What a setup section lists and offers (materials, factories, staff) for its form."""
    station = sid()
    context: dict[str, Any] = {
        "section_name": section,
        "sections": SECTIONS,
        "values": request.form,
    }
    if section == "scales":
        context.update(rows=scales(), protocols=list(ScaleProtocol))
    elif section == "tares":
        context.update(
            rows=_rows(StandardTare, StandardTare.organization_id, StandardTare.id.desc())
        )
    elif section == "tolerances":
        context.update(
            rows=_rows(TolerancePolicy, TolerancePolicy.organization_id, TolerancePolicy.id)
        )
    elif section == "ratios":
        context.update(
            rows=_rows(RatioSet, RatioSet.organization_id, RatioSet.id.desc()),
            ratio_rows=RATIO_ROWS,
        )
    elif section == "locations":
        context.update(rows=_rows(Location, Location.organization_id, Location.code))
    elif section == "records":
        context.update(
            rows=_rows(ProductionRecord, ProductionRecord.station_id, ProductionRecord.id.desc())
        )
    elif section == "deliveries":
        context.update(
            rows=_rows(Delivery, Delivery.station_id, Delivery.id.desc()),
            records=_rows(
                ProductionRecord, ProductionRecord.station_id, ProductionRecord.id.desc(), 50
            ),
        )
    elif section == "orders":
        context.update(
            rows=_rows(WorkOrder, WorkOrder.station_id, WorkOrder.id.desc()),
            staff=db.session.scalars(
                sa.select(User).where(User.organization_id == station).order_by(User.id)
            ).all(),
            stage_list=list(Stage),
        )
    context["categories"] = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Category).where(Category.active.is_(True)).order_by(Category.code)
        )
    }
    context["factories"] = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind == OrgKind.PRODUCER)
        .order_by(Organization.id)
        .limit(500)
    ).all()
    return context


def setup_page_html(section: str) -> str:
    """A setup section's form and rows; unknown sections are 404."""
    if section not in SECTIONS:
        abort(404)
    return render("setup.html", **setup_context(section))


@bp.get("/setup")
@access(kinds=STATION, roles=MANAGERS)
def setup_index() -> Any:
    """Setup opens on the scales, which everything else is weighed on."""
    return redirect(url_for("station.setup_page", section="scales"))


@bp.get("/setup/<section>")
@access(kinds=STATION, roles=MANAGERS)
def setup_page(section: str) -> Any:
    """One setup section."""
    return setup_page_html(section)


@bp.post("/setup/<section>")
@access(kinds=STATION, roles=MANAGERS)
def setup_save(section: str) -> Any:
    """Save a setup form through the setup service; a refusal is the form's message."""
    if section not in SAVERS:
        abort(404)
    work, message = SAVERS[section]
    return attempt(
        work,
        done(gettext(message), url_for("station.setup_page", section=section)),
        lambda: setup_page_html(section),
    )


@bp.post("/setup/orders/<int:order_id>/close")
@access(kinds=STATION, roles=MANAGERS)
def close_order(order_id: int) -> Any:
    """The setup page's 关闭工单 button: nothing more is booked against the order."""
    return attempt(
        lambda: work_orders.close(request_actor(), order_id, now=utcnow()),
        done(gettext("工单已关闭。"), url_for("station.setup_page", section="orders")),
        lambda: setup_page_html("orders"),
    )
