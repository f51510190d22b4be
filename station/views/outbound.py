"""Outbound plans: create a plan for a buyer, approve it against the buyer's escrow (a refusal
is shown plainly), weigh its loads on the weighbridge (出库, CP4), and close it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import redirect, request, url_for
from flask_babel import gettext

from core.access import access, request_actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import NotFound
from core.models import Organization
from core.time import utcnow
from station import quota
from station.api import gross_from
from station.models import OutboundPlan, Package, PackageState, Stage, Weighing
from station.schemas import LoadSchema, PlanSchema
from station.services import outbound as service
from station.services.weigh import TareSpec
from station.views import bp
from station.views.common import (
    MANAGERS,
    STATION,
    WRITERS,
    attempt,
    done,
    open_orders,
    render,
    scales,
    sid,
    text,
    tz,
    weight_input,
)


def plans_page() -> str:
    """My station's outbound plans and the form for a new one (buyers are recyclers)."""
    rows = db.session.scalars(
        sa.select(OutboundPlan)
        .where(OutboundPlan.station_id == sid())
        .order_by(OutboundPlan.id.desc())
        .limit(200)
    ).all()
    buyers = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind == OrgKind.RECYCLER)
        .order_by(Organization.id)
        .limit(500)
    ).all()
    return render(
        "plans.html",
        rows=rows,
        buyers=buyers,
        names={o.id: o.legal_name for o in buyers},
        categories={c.id: c for c in db.session.scalars(sa.select(Category))},
        values=request.form,
    )


@bp.get("/outbound")
@access(kinds=STATION)
def plans() -> Any:
    """Outbound plans."""
    return plans_page()


@bp.post("/outbound")
@access(kinds=STATION, roles=WRITERS)
def create_plan() -> Any:
    """A new plan for a buyer, in draft until a manager approves it against escrow."""

    def work() -> OutboundPlan:
        data = PlanSchema().load(
            {
                k: text(k)
                for k in (
                    "buyer_id",
                    "grade",
                    "planned_kg",
                    "unit_price_yuan_per_t",
                    "tax_rate_pct",
                    "fees_yuan",
                )
                if text(k)
            }
        )
        return service.create_plan(request_actor(), **data, now=utcnow())

    return attempt(
        work, lambda plan: redirect(url_for("station.plan", plan_id=plan.id)), plans_page
    )


def _plan(plan_id: int) -> OutboundPlan:
    plan = db.session.scalar(
        sa.select(OutboundPlan).where(OutboundPlan.id == plan_id, OutboundPlan.station_id == sid())
    )
    if plan is None:
        raise NotFound("出库计划不存在")
    return plan


def plan_page(plan_id: int) -> str:
    """A plan with its loads, the money it needs held, and the bales of its material in stock."""
    plan = _plan(plan_id)
    weighings = {
        w.id: w
        for w in db.session.scalars(
            sa.select(Weighing).where(Weighing.id.in_([x.weighing_id for x in plan.loads] or [0]))
        )
    }
    stock = db.session.scalars(
        sa.select(Package)
        .where(
            Package.station_id == sid(),
            Package.state == PackageState.IN_STOCK,
            Package.category_id == plan.category_id,
        )
        .order_by(Package.id)
        .limit(200)
    ).all()
    return render(
        "plan.html",
        plan=plan,
        buyer=db.session.get(Organization, plan.buyer_id),
        category=db.session.get(Category, plan.category_id),
        required_fen=service.required_fen(plan),
        weighings=weighings,
        stock=stock,
        scales=scales(),
        orders=open_orders(Stage.WAREHOUSE_OUT),
        values=request.form,
    )


@bp.get("/outbound/<int:plan_id>")
@access(kinds=STATION)
def plan(plan_id: int) -> Any:
    """One outbound plan."""
    return plan_page(plan_id)


@bp.post("/outbound/<int:plan_id>/approve")
@access(kinds=STATION, roles=MANAGERS)
def approve_plan(plan_id: int) -> Any:
    """Approve while the buyer's escrow covers the plan; the refusal names what is missing."""
    return attempt(
        lambda: service.approve(request_actor(), plan_id, now=utcnow()),
        done(gettext("出库计划已审批，买方资金已冻结。"), url_for("station.plan", plan_id=plan_id)),
        lambda: plan_page(plan_id),
    )


@bp.post("/outbound/<int:plan_id>/close")
@access(kinds=STATION, roles=MANAGERS)
def close_plan(plan_id: int) -> Any:
    """Close a plan; the service releases what is still held of the buyer's money."""
    return attempt(
        lambda: service.close_plan(request_actor(), plan_id, now=utcnow()),
        done(gettext("出库计划已关闭。"), url_for("station.plan", plan_id=plan_id)),
        lambda: plan_page(plan_id),
    )


@bp.post("/outbound/<int:plan_id>/loads")
@access(kinds=STATION, roles=WRITERS)
def load(plan_id: int) -> Any:
    """出库 (CP4): a vehicle leaves with the scanned bales, weighed on the weighbridge."""

    def work() -> Weighing:
        _plan(plan_id)
        scanned = [x.strip() for x in text("labels").replace(",", "\n").splitlines() if x.strip()]
        data = LoadSchema().load(
            {
                "vehicle_plate": text("vehicle_plate"),
                "weight": weight_input(),
                "vehicle_tare_kg": text("vehicle_tare_kg") or None,
                "labels": scanned + request.form.getlist("label"),
                "vehicle_capacity_kg": text("vehicle_capacity_kg") or None,
                "work_order": text("work_order"),
            }
        )
        plate = data["vehicle_plate"]
        return service.load(
            request_actor(),
            plan_id,
            vehicle_plate=plate,
            gross=gross_from(data["weight"], sid()),
            vehicle_tare=TareSpec(quota.TareKind.VEHICLE, plate, data["vehicle_tare_kg"]),
            labels=data["labels"],
            vehicle_capacity_kg=data["vehicle_capacity_kg"],
            now=utcnow(),
            tz=tz(),
            work_order=data["work_order"],
        )

    return attempt(
        work,
        lambda w: redirect(url_for("station.weighing", weighing_id=w.id)),
        lambda: plan_page(plan_id),
    )
