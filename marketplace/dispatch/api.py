"""API: plan a day, read a plan with its stops and KPIs, move a stop, publish, and a driver's
confirmation — the same services as the pages, for a dispatcher's or driver's own app."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields, validate

from core.enums import OrgKind, Role
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.dispatch import services
from marketplace.dispatch.problem import clock
from marketplace.schema import ID, BaseSchema, decimal_range, max_decimals

blp = Blueprint("dispatch_api", __name__, url_prefix="/api/v1", description="收料调度")
LOGISTICS = [OrgKind.LOGISTICS]
WRITERS = [Role.MANAGER, Role.OPERATOR]


class RoutePlanCreateSchema(BaseSchema):
    day = fields.Date(required=True)
    vehicle_ids = fields.List(fields.Int(validate=ID), required=True)
    time_limit_s = fields.Int(load_default=5, validate=validate.Range(1, 60))


class RouteMoveSchema(BaseSchema):
    stop_id = fields.Int(required=True, validate=ID)
    vehicle_id = fields.Int(required=True, validate=ID)
    position = fields.Int(required=True, validate=validate.Range(0, 10_000))


class StopConfirmSchema(BaseSchema):
    kg = fields.Decimal(
        required=True,
        as_string=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 100_000), max_decimals(3)],
    )


class RouteStopSchema(BaseSchema):
    id = fields.Int()
    vehicle_id = fields.Int()
    seq = fields.Int()
    kind = fields.Str()
    request_id = fields.Int()
    place = fields.Function(
        lambda s: s.request.dest_name if s.kind == "delivery" else s.request.site_name
    )
    start = fields.Function(lambda s: clock(s.start_s))
    load_kg = fields.Decimal(as_string=True)
    confirmed_at = fields.DateTime()
    confirmed_kg = fields.Decimal(as_string=True)


class RoutePlanSchema(BaseSchema):
    id = fields.Int()
    day = fields.Date()
    state = fields.Str()
    valid = fields.Bool()
    violations = fields.List(fields.Str())
    kpis = fields.Dict()
    dropped = fields.List(fields.Dict())
    vehicle_ids = fields.List(fields.Int())
    job_id = fields.Int(allow_none=True)
    stops = fields.List(fields.Nested(RouteStopSchema))


@blp.route("/dispatch/plans", methods=["POST"])
@access(kinds=LOGISTICS, roles=WRITERS)
@blp.arguments(RoutePlanCreateSchema)
@blp.response(202, RoutePlanSchema)
def create_plan(body: dict[str, Any]) -> Any:
    """Start planning a day; poll `GET /dispatch/plans/{id}` until `state` is not `planning`."""
    actor = require_actor()
    return services.start_plan(actor, body["day"], body["vehicle_ids"], body["time_limit_s"])


@blp.route("/dispatch/plans/<int:plan_id>", methods=["GET"])
@access(kinds=LOGISTICS)
@blp.response(200, RoutePlanSchema)
def get_plan(plan_id: int) -> Any:
    """A plan with its state, stops in order, KPIs, dropped requests and violations."""
    return services.get_plan(require_actor(), plan_id)


@blp.route("/dispatch/plans/<int:plan_id>/moves", methods=["POST"])
@access(kinds=LOGISTICS, roles=WRITERS)
@blp.arguments(RouteMoveSchema)
@blp.response(200, RoutePlanSchema)
def move_stop(body: dict[str, Any], plan_id: int) -> Any:
    """Move a stop by hand; the answer carries the violations the checker found."""
    actor = require_actor()
    return services.move_stop(actor, plan_id, body["stop_id"], body["vehicle_id"], body["position"])


@blp.route("/dispatch/plans/<int:plan_id>/publish", methods=["POST"])
@access(kinds=LOGISTICS, roles=WRITERS)
@blp.response(200, RoutePlanSchema)
def publish_plan(plan_id: int) -> Any:
    """Publish a draft without violations (409 otherwise); its requests are then taken."""
    return services.publish(require_actor(), plan_id, utcnow())


@blp.route("/dispatch/stops/<int:stop_id>/confirm", methods=["POST"])
@access(kinds=LOGISTICS, roles=WRITERS)
@blp.arguments(StopConfirmSchema)
@blp.response(200, RouteStopSchema)
def confirm_stop(body: dict[str, Any], stop_id: int) -> Any:
    """The driver records the re-weighed kg of a stop (and the passport event of a pickup)."""
    return services.confirm(require_actor(), stop_id, body["kg"], utcnow())
