"""The weighing desk: one page per stage (送料 收料 分拣 打包 入库; 出库 is on the outbound plan
page), the result of a weighing (A, B, C, D, 正常/异常 and any alert), and 复称."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_babel import gettext

from core.access import access, request_actor
from core.db import db
from core.errors import Invalid, NotFound
from core.time import utcnow
from station import labels, quota
from station.api import gross_from, tare_specs
from station.models import Alert, Delivery, Location, Package, PackageState, Stage, Weighing
from station.schemas import (
    BaleSchema,
    DeliverSchema,
    ReceiveSchema,
    ReweighSchema,
    SortSchema,
    WarehouseInSchema,
)
from station.services import setup, stages
from station.services.common import package_by_label
from station.views import bp
from station.views.common import (
    STATION,
    WRITERS,
    attempt,
    open_orders,
    render,
    scales,
    sid,
    tares_input,
    text,
    tz,
    weight_input,
)

# The desk's stages in their order, with the URL word of each.
DESK = ["deliver", "receive", "sort", "bale", "warehouse-in"]
STAGE_OF = {
    "deliver": Stage.DELIVER,
    "receive": Stage.RECEIVE,
    "sort": Stage.SORT,
    "bale": Stage.BALE,
    "warehouse-in": Stage.WAREHOUSE_IN,
}
MAX_PICKS = 6


def _packages(state: PackageState, limit: int = 100) -> list[Package]:
    return list(
        db.session.scalars(
            sa.select(Package)
            .where(Package.station_id == sid(), Package.state == state)
            .order_by(Package.id.desc())
            .limit(limit)
        )
    )


def _open_deliveries() -> list[Delivery]:
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(Delivery.station_id == sid(), Delivery.received_at.is_(None))
            .order_by(Delivery.id.desc())
            .limit(100)
        )
    )


def _ratio_lines(receipt_label: str) -> tuple[Package | None, list[Any], str]:
    """The receipt to sort and the lines of its ratio set valid now (or why there are none)."""
    if not receipt_label:
        return None, [], ""
    try:
        labels.validate(receipt_label.strip().upper(), "receipt")  # Code39 characters only
        receipt = package_by_label(sid(), receipt_label)
        if receipt.category_id is None:
            return receipt, [], gettext("该标签没有物料")
        return receipt, setup.active_ratios(sid(), receipt.category_id, utcnow()).lines, ""
    except (Invalid, NotFound) as err:
        return None, [], gettext(err.message, **err.params)


def desk_page(stage: str) -> str:
    """A stage's form with what it needs to choose from (open delivery notes, receipts to
    sort, sorted packages, bales, locations); shown again with the values when refused."""
    if stage not in DESK:
        abort(404)
    receipt, lines, why = _ratio_lines(text("receipt", request.values) if stage == "sort" else "")
    return render(
        "desk.html",
        stage=stage,
        stages=DESK,
        scales=scales(),
        deliveries=_open_deliveries() if stage in ("deliver", "receive") else [],
        receipts=_packages(PackageState.RECEIVED) if stage == "sort" else [],
        sorted_packages=_packages(PackageState.SORTED) if stage == "bale" else [],
        bales=_packages(PackageState.BALED) if stage == "warehouse-in" else [],
        locations=db.session.scalars(
            sa.select(Location).where(Location.organization_id == sid()).order_by(Location.code)
        ).all(),
        receipt=receipt,
        lines=lines,
        lines_problem=why,
        max_picks=MAX_PICKS,
        orders=open_orders(STAGE_OF[stage]),
        values=request.form,
    )


@bp.get("/desk")
@access(kinds=STATION)
def desk_index() -> Any:
    """The desk opens on 收料, the stage a station weighs most."""
    return redirect(url_for("station.desk", stage="receive"))


@bp.get("/desk/<stage>")
@access(kinds=STATION)
def desk(stage: str) -> Any:
    """A stage's weighing form, with the scale's live reading polled by station/desk.js."""
    return desk_page(stage)


def _delivery_id() -> int:
    value = text("delivery_id")
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise Invalid("请选择送料单", {"delivery_id": "required"})
    return int(value)


def _deliver() -> Weighing:
    actor, station = request_actor(), sid()
    data = DeliverSchema().load(
        {
            "packages": [{"weight": weight_input(), "tares": tares_input()}],
            "work_order": text("work_order"),
        }
    )
    packages = [
        (gross_from(p["weight"], station), tuple(tare_specs(p["tares"]))) for p in data["packages"]
    ]
    made = stages.deliver(
        actor, _delivery_id(), packages, now=utcnow(), tz=tz(), work_order=data["work_order"]
    )
    return db.session.scalar(sa.select(Weighing).where(Weighing.package_id == made[0].id))


def _receive() -> Weighing:
    actor, station = request_actor(), sid()
    deductions = []
    if text("deduction_kind") or text("deduction_kg"):
        deductions.append(
            {
                "kind": text("deduction_kind"),
                "kg": text("deduction_kg"),
                "reason": text("deduction_reason"),
            }
        )
    data = ReceiveSchema().load(
        {
            "weight": weight_input(),
            "tares": tares_input(),
            "line": text("line"),
            "deductions": deductions,
            "work_order": text("work_order"),
        }
    )
    return stages.receive(
        actor,
        _delivery_id(),
        gross_from(data["weight"], station),
        tare_specs(data["tares"]),
        now=utcnow(),
        tz=tz(),
        line=data["line"],
        deductions=[quota.Deduction(d["kind"], d["kg"], d["reason"]) for d in data["deductions"]],
        work_order=data["work_order"],
    )


def _sort() -> Weighing:
    """Every ratio line with a weight source is an output; lines left empty are not weighed."""
    actor, station = request_actor(), sid()
    outputs = []
    for i in range(20):
        line = text(f"out{i}-line")
        if line and text(f"out{i}-source"):
            outputs.append(
                {
                    "line": line,
                    "weight": weight_input(f"out{i}-"),
                    "tares": tares_input(f"out{i}-"),
                }
            )
    data = SortSchema().load(
        {
            "receipt": text("receipt"),
            "outputs": outputs,
            "line": text("line"),
            "work_order": text("work_order"),
        }
    )
    made = stages.sort(
        actor,
        data["receipt"],
        [
            stages.Output(
                o["line"], gross_from(o["weight"], station), tuple(tare_specs(o["tares"]))
            )
            for o in data["outputs"]
        ],
        now=utcnow(),
        tz=tz(),
        line=data["line"],
        work_order=data["work_order"],
    )
    return made[0]


def _bale() -> Weighing:
    actor, station = request_actor(), sid()
    picks = [
        {"label": text(f"pick{i}-label"), "kg": text(f"pick{i}-kg")}
        for i in range(MAX_PICKS)
        if text(f"pick{i}-label")
    ]
    data = BaleSchema().load(
        {
            "picks": picks,
            "weight": weight_input(),
            "tares": tares_input(),
            "line": text("line"),
            "work_order": text("work_order"),
        }
    )
    chosen: dict[str, Decimal] = {}
    for pick in data["picks"]:
        chosen[pick["label"]] = chosen.get(pick["label"], Decimal(0)) + pick["kg"]
    return stages.bale(
        actor,
        chosen,
        gross_from(data["weight"], station),
        tare_specs(data["tares"]),
        now=utcnow(),
        tz=tz(),
        line=data["line"],
        work_order=data["work_order"],
    )


def _warehouse_in() -> Weighing:
    actor, station = request_actor(), sid()
    data = WarehouseInSchema().load(
        {
            "label": text("label"),
            "location": text("location"),
            "weight": weight_input(),
            "tares": tares_input(),
            "work_order": text("work_order"),
        }
    )
    return stages.warehouse_in(
        actor,
        data["label"],
        data["location"],
        gross_from(data["weight"], station),
        tare_specs(data["tares"]),
        now=utcnow(),
        tz=tz(),
        work_order=data["work_order"],
    )


RECORDERS = {
    "deliver": _deliver,
    "receive": _receive,
    "sort": _sort,
    "bale": _bale,
    "warehouse-in": _warehouse_in,
}


def _to_result(weighing: Weighing) -> Any:
    return redirect(url_for("station.weighing", weighing_id=weighing.id))


@bp.post("/desk/<stage>")
@access(kinds=STATION, roles=WRITERS)
def record(stage: str) -> Any:
    """Record a stage's weighing; the result page shows A, B, C, D and any alert raised."""
    if stage not in RECORDERS:
        abort(404)
    return attempt(RECORDERS[stage], _to_result, lambda: desk_page(stage))


def _weighing(weighing_id: int) -> Weighing:
    found = db.session.scalar(
        sa.select(Weighing).where(Weighing.id == weighing_id, Weighing.station_id == sid())
    )
    if found is None:
        raise NotFound("称重记录不存在")
    return found


def weighing_page(weighing_id: int) -> str:
    """A weighing with the rest of its step (a sort's outputs and total), its alerts, whether
    it was re-weighed, and the 复称 form when the stage allows one."""
    weighing = _weighing(weighing_id)
    batch = db.session.scalars(
        sa.select(Weighing)
        .where(
            Weighing.station_id == weighing.station_id,
            Weighing.stage == weighing.stage,
            Weighing.created_at == weighing.created_at,
            Weighing.operator_id == weighing.operator_id,
        )
        .order_by(Weighing.id)
    ).all()
    ids = [w.id for w in batch]
    alerts = db.session.scalars(
        sa.select(Alert).where(Alert.weighing_id.in_(ids)).order_by(Alert.id)
    ).all()
    replaced_by = db.session.scalar(
        sa.select(Weighing.id).where(Weighing.replaces_id == weighing.id)
    )
    return render(
        "weighing.html",
        weighing=weighing,
        batch=batch,
        alerts=alerts,
        replaced_by=replaced_by,
        reweighable=weighing.stage in stages.REWEIGHABLE and not weighing.total,
        scales=scales(),
        # 复称 on the scale of the first weighing unless the form came back with another choice
        values=request.form
        or {"source": str(weighing.scale_id) if weighing.scale_id else "manual"},
    )


@bp.get("/weighings/<int:weighing_id>")
@access(kinds=STATION)
def weighing(weighing_id: int) -> Any:
    """The result of a weighing: A, B, C, D, 正常/异常 and its alerts."""
    return weighing_page(weighing_id)


@bp.post("/weighings/<int:weighing_id>/reweigh")
@access(kinds=STATION, roles=WRITERS)
def reweigh(weighing_id: int) -> Any:
    """复称: a new weighing linked to this one, which stays as it was."""

    def work() -> Weighing:
        _weighing(weighing_id)
        data = ReweighSchema().load({"weight": weight_input(), "tares": tares_input()})
        return stages.reweigh(
            request_actor(),
            weighing_id,
            gross_from(data["weight"], sid()),
            tare_specs(data["tares"]),
            now=utcnow(),
        )

    return attempt(work, _to_result, lambda: weighing_page(weighing_id))
