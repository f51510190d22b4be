"""Pages: the dispatcher's plan list and new-plan form, a plan with its map, timeline, KPIs and
dropped stops (hand moves, drivers, publishing), a printable run sheet per vehicle, the routes
as GeoJSON, the planning status for the progress bar, and the driver's mobile page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from core import jobs
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Conflict, DomainError, Invalid, NotFound
from core.models import User
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.dispatch import geo, sensors, services
from marketplace.dispatch.problem import clock
from marketplace.errors import translated

bp = Blueprint("dispatch", __name__)
LOGISTICS = [OrgKind.LOGISTICS]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def _today() -> Any:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise Invalid("%(field)s 应为整数", {name: "not an integer"}, field=name) from None


def _flash_error(err: DomainError) -> None:
    detail = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
    flash(translated(err) + (f"（{detail}）" if detail else ""), "danger")


@bp.get("/dispatch")
@access(kinds=LOGISTICS)
def index() -> Any:
    actor = require_actor()
    raw = request.args.get("day")
    day = services.parse_day(raw) if raw else _today()
    requests = services.day_requests(actor, day)  # read only: gathering is the POST below
    fill = services.cluster_sensors(actor)
    return render_template(
        "dispatch/index.html",
        fill_sensors=fill,
        stale_sensors=sensors.stale(utcnow(), fill),
        day=day,
        plans=services.plans(actor),
        vehicles=services.fleet(actor),
        requests=requests,
        clock=clock,
    )


@bp.post("/dispatch/gather")
@access(kinds=LOGISTICS, roles=WRITERS)
def gather() -> Any:
    """Fetch the day's pickup requests from scheduled trades, station loads and recurring lots."""
    actor = require_actor()
    try:
        day = services.parse_day(request.form.get("day", ""))
        added = services.gather_requests(actor, day)
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _flash_error(err)
        return redirect(url_for("dispatch.index"))
    db.session.commit()
    flash(gettext("已更新收料请求，新增 %(n)s 条", n=len(added)), "success")
    return redirect(url_for("dispatch.index", day=day.isoformat()))


@bp.post("/dispatch/plans")
@access(kinds=LOGISTICS, roles=WRITERS)
def start() -> Any:
    actor = require_actor()
    try:
        day = services.parse_day(request.form.get("day", ""))
        ids = [int(v) for v in request.form.getlist("vehicle_ids") if v.isdigit()]
        limit = (
            int(request.form.get("time_limit_s") or 5)
            if (request.form.get("time_limit_s") or "5").isdigit()
            else 0
        )
        plan = services.start_plan(actor, day, ids, limit)
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _flash_error(err)
        return redirect(url_for("dispatch.index", day=request.form.get("day") or None))
    return redirect(url_for("dispatch.plan_page", plan_id=plan.id))


@bp.get("/dispatch/plans/<int:plan_id>")
@access(kinds=LOGISTICS)
def plan_page(plan_id: int) -> Any:
    actor = require_actor()
    plan = services.get_plan(actor, plan_id)
    runs = services.runs(plan)
    users = db.session.query(User).filter(User.organization_id == plan.organization_id).all()
    return render_template(
        "dispatch/plan.html",
        plan=plan,
        runs=runs,
        clock=clock,
        users=users,
        geojson=geo.routes(plan, runs),
        tiles=current_app.config.get("MAP_TILE_URL") or "",
        names={r.id: r for r in services.plan_requests(plan)},
    )


@bp.get("/dispatch/plans/<int:plan_id>/status")
@access(kinds=LOGISTICS)
def status(plan_id: int) -> Any:
    """What the progress bar polls: the plan's state and its job's percentage."""
    actor = require_actor()
    plan = services.get_plan(actor, plan_id)
    job = db.session.get(jobs.Job, plan.job_id) if plan.job_id else None
    return jsonify(
        state=plan.state,
        percent=job.percent if job else 100,
        message=job.message if job else "",
        error=plan.error,
    )


@bp.get("/dispatch/plans/<int:plan_id>/routes.geojson")
@access(kinds=LOGISTICS)
def geojson(plan_id: int) -> Any:
    actor = require_actor()
    plan = services.get_plan(actor, plan_id)
    response = jsonify(geo.routes(plan, services.runs(plan)))
    response.mimetype = "application/geo+json"
    response.headers["Content-Disposition"] = f'attachment; filename="plan-{plan.id}.geojson"'
    return response


@bp.post("/dispatch/plans/<int:plan_id>/move")
@access(kinds=LOGISTICS, roles=WRITERS)
def move(plan_id: int) -> Any:
    actor = require_actor()
    try:
        plan = services.move_stop(
            actor, plan_id, _int("stop_id"), _int("vehicle_id"), _int("position")
        )
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _flash_error(err)
    else:
        if plan.valid:
            flash(gettext("已调整，计划仍满足全部约束"), "success")
        else:
            flash(gettext("已调整，但计划违反约束，请查看违规列表"), "danger")
    return redirect(url_for("dispatch.plan_page", plan_id=plan_id))


@bp.post("/dispatch/plans/<int:plan_id>/publish")
@access(kinds=LOGISTICS, roles=WRITERS)
def publish(plan_id: int) -> Any:
    actor = require_actor()
    try:
        services.publish(actor, plan_id, utcnow())
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _flash_error(err)
    else:
        flash(gettext("计划已发布"), "success")
    return redirect(url_for("dispatch.plan_page", plan_id=plan_id))


@bp.post("/dispatch/plans/<int:plan_id>/driver")
@access(kinds=LOGISTICS, roles=WRITERS)
def driver(plan_id: int) -> Any:
    actor = require_actor()
    try:
        services.assign_driver(actor, plan_id, _int("vehicle_id"), _int("user_id"))
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _flash_error(err)
    else:
        flash(gettext("已指派司机"), "success")
    return redirect(url_for("dispatch.plan_page", plan_id=plan_id))


@bp.get("/dispatch/plans/<int:plan_id>/vehicles/<int:vehicle_id>/sheet")
@access(kinds=LOGISTICS)
def run_sheet(plan_id: int, vehicle_id: int) -> Any:
    actor = require_actor()
    plan = services.get_plan(actor, plan_id)
    run = next((r for r in services.runs(plan) if r.vehicle.id == vehicle_id), None)
    if run is None:
        raise NotFound("该车辆不在此计划中")
    return render_template("dispatch/sheet.html", plan=plan, run=run, clock=clock)


@bp.get("/driver")
@access(kinds=LOGISTICS)
def driver_page() -> Any:
    actor = require_actor()
    return render_template(
        "dispatch/driver.html", day=_today(), runs=services.my_runs(actor, _today()), clock=clock
    )


@bp.post("/driver/stops/<int:stop_id>/confirm")
@access(kinds=LOGISTICS, roles=WRITERS)
def confirm(stop_id: int) -> Any:
    actor = require_actor()
    try:
        services.confirm(actor, stop_id, request.form.get("kg", ""), utcnow())
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _flash_error(err)
    else:
        flash(gettext("已确认收料"), "success")
    return redirect(url_for("dispatch.driver_page"))
