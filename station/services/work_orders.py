"""Work orders at the scale: which order a weighing is booked against, checked in one place,
closing an order, and the orders an operator may book against today.

A work order ties a stage's task to people, a shift and a line (`setup.create_work_order`).
`for_weighing` is the only check of a booking — every stage service passes its `work_order`
to `weigh.record`, which calls it — so a stage can never book against an order of another
station, another stage, another day, a closed order, or one its operator is not assigned to.
When an order is given its line is the weighing's line, which the repeat rules count.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.time import to_local
from station.models import Stage, WorkOrder
from station.services.common import writer

FIELD = "work_order"


def find(station_id: int, ref: int | str, *, lock: bool = False) -> WorkOrder:
    """A station's work order by its number (as printed on the order) or its id.

    A number is tried first: an order numbered "20261201" is that order, not id 20261201.
    """
    text = str(ref).strip().upper()
    if not text or len(text) > 40:
        raise Invalid("工单编号不正确", {FIELD: "an id or a number"})
    match = WorkOrder.number == text
    if text.isdigit() and int(text) < 2**31:
        match = sa.or_(match, WorkOrder.id == int(text))
    stmt = (
        sa.select(WorkOrder)
        .where(WorkOrder.station_id == station_id, match)
        # the row numbered `text` before the row whose id happens to be `text`
        .order_by(sa.case((WorkOrder.number == text, 0), else_=1))
    )
    found = db.session.scalars(stmt.with_for_update() if lock else stmt).first()
    if found is None:
        raise Invalid("工单不存在：%(ref)s", {FIELD: "unknown"}, ref=text)
    return found


def for_weighing(
    station_id: int,
    ref: int | str,
    *,
    stage: Stage,
    operator_id: int | None,
    at: datetime,
    tz: str,
) -> WorkOrder:
    """The order a weighing of `stage` by `operator_id` at `at` is booked against, or a 4xx
    naming `work_order` saying why it may not be."""
    order = find(station_id, ref)
    if order.stage is not stage:
        raise Invalid(
            "工单 %(number)s 属于“%(stage)s”环节，不是本环节",
            {FIELD: f"stage {order.stage.value}"},
            number=order.number,
            stage=order.stage.value,
        )
    if order.closed_at is not None:
        raise Conflict("工单 %(number)s 已关闭", {FIELD: "closed"}, number=order.number)
    day = to_local(at, tz).date()
    if order.work_date != day:
        raise Invalid(
            "工单 %(number)s 的作业日期是 %(date)s，不是今天",
            {FIELD: f"work date {order.work_date.isoformat()}"},
            number=order.number,
            date=order.work_date.isoformat(),
        )
    if operator_id not in (order.assignees or []):
        raise Forbidden(
            "您不在工单 %(number)s 的指派人员中", {FIELD: "not assigned"}, number=order.number
        )
    return order


def close(actor: Actor, order_id: int, *, now: datetime) -> WorkOrder:
    """Close an order when its task is done: nothing more can be booked against it; the
    weighings already booked keep it (a 复称 of one of them still carries it)."""
    sid = writer(actor)
    order = db.session.scalar(
        sa.select(WorkOrder)
        .where(WorkOrder.id == order_id, WorkOrder.station_id == sid)
        .with_for_update()
    )
    if order is None:
        raise NotFound("工单不存在")
    if order.closed_at is not None:
        raise Conflict("工单 %(number)s 已关闭", {FIELD: "closed"}, number=order.number)
    order.closed_at = now
    return order


def open_for(station_id: int, stage: Stage, user_id: int | None, day: date) -> list[WorkOrder]:
    """The open orders of a stage on `day` that `user_id` may book against (for the desk's
    select); the assignee list is JSON, so it is filtered here rather than in SQL."""
    rows = db.session.scalars(
        sa.select(WorkOrder)
        .where(
            WorkOrder.station_id == station_id,
            WorkOrder.stage == stage,
            WorkOrder.work_date == day,
            WorkOrder.closed_at.is_(None),
        )
        .order_by(WorkOrder.number)
    ).all()
    return [order for order in rows if user_id in (order.assignees or [])]


def numbers(ids: set[int]) -> dict[int, WorkOrder]:
    """Orders by id, for pages and reports that show a weighing's order number and line."""
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(WorkOrder).where(WorkOrder.id.in_(ids)))}
