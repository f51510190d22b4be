"""What the station's pages share: who may use them, turning a form into schema input, and
showing a refusal as a form message with its status instead of an error page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from core.access import request_actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.i18n import N_
from station.models import Scale, Stage, WorkOrder

# Package states by name: the stage services quote them in refusals ("标签 … 处于“received”").
PACKAGE_STATES = {
    "delivered": N_("已送料"),
    "received": N_("已收料"),
    "sorted": N_("已分拣"),
    "baled": N_("已打包"),
    "in_stock": N_("在库"),
    "consumed": N_("已使用"),
    "shipped": N_("已出库"),
}
STATION = [OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]
MANAGERS = [Role.MANAGER]


def sid() -> int:
    """The signed-in user's station (every station page is for station staff only)."""
    return request_actor().org_id


def tz() -> str:
    """The zone pages show local days and times in."""
    return current_app.config["TIMEZONE"]


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(messages, dict):
        out: dict[str, str] = {}
        for key, value in messages.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        return {prefix: messages[0]}
    if isinstance(messages, list):
        out = {}
        for value in messages:
            out.update(_flatten(value, prefix))
        return out
    return {prefix or "_schema": str(messages)}


def state_words(states: str) -> str:
    """Package state codes ("received、sorted") as words in the user's language."""
    return "、".join(
        gettext(PACKAGE_STATES[s]) if s in PACKAGE_STATES else s for s in states.split("、")
    )


def problem(err: ValidationError | DomainError) -> tuple[str, int, dict[str, str]]:
    """A refused form as (message in the user's language, HTTP status, fields)."""
    if isinstance(err, ValidationError):
        fields = _flatten(err.messages)
        text = (
            gettext("请修正以下字段：") + " " + ", ".join(f"{k}（{v}）" for k, v in fields.items())
        )
        return text, 422, fields
    detail = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
    params = {
        k: "、".join(
            gettext(PACKAGE_STATES[s]) if s in PACKAGE_STATES else s for s in v.split("、")
        )
        if k in ("state", "needed") and isinstance(v, str)
        else v
        for k, v in err.params.items()
    }
    return (
        gettext(err.message, **params) + (f"（{detail}）" if detail else ""),
        err.status,
        err.fields,
    )


def attempt(work: Callable[[], Any], done: Callable[[Any], Any], page: Callable[[], Any]) -> Any:
    """Run a form's work in the request's transaction. Success commits and answers `done(result)`
    (a redirect); a refusal rolls everything back and re-renders `page()` with the message and
    the refusal's 4xx status, so nothing is half-written and the operator sees why."""
    try:
        result = work()
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        message, status, _ = problem(err)
        flash(message, "danger")
        return page(), status
    db.session.commit()
    return done(result)


def done(message: str, target: str) -> Callable[[Any], Any]:
    """A success answer for `attempt`: flash `message` and go to `target` (post/redirect/get)."""

    def answer(_: Any) -> Any:
        flash(message)
        return redirect(target)

    return answer


def text(name: str, data: MultiDict[str, str] | None = None) -> str:
    """A stripped form (or query) value; missing is empty, so schemas name the field."""
    return ((data if data is not None else request.form).get(name) or "").strip()


def weight_input(prefix: str = "") -> dict[str, Any]:
    """The weight fields of a desk form as the API's WeightSchema input: a scale (its stable
    reading is taken when the form is recorded) or a manual entry with its reason."""
    source = text(prefix + "source")
    if source == "manual":
        return {
            "manual_kg": text(prefix + "manual_kg") or None,
            "manual_reason": text(prefix + "manual_reason"),
        }
    return {"scale_id": source or None}


def tares_input(prefix: str = "") -> list[dict[str, Any]]:
    """Standard tares named on the form (vehicle plate, container, pallet), each optionally with
    a measured tare in kg (used when the standard has expired)."""
    items = []
    for kind in ("vehicle", "container", "pallet"):
        ref = text(f"{prefix}tare_{kind}")
        if ref:
            item: dict[str, Any] = {"kind": kind, "ref": ref}
            measured = text(f"{prefix}tare_{kind}_kg")
            if measured:
                item["measured_kg"] = measured
            items.append(item)
    return items


def scales() -> list[Scale]:
    """My station's scales, for the weight boxes and the dashboard."""
    return list(
        db.session.scalars(
            sa.select(Scale).where(Scale.organization_id == sid()).order_by(Scale.id)
        )
    )


def open_orders(stage: Stage) -> list[WorkOrder]:
    """Today's open work orders of a stage assigned to me, for a weighing form's select."""
    from core.time import to_local, utcnow
    from station.services.work_orders import open_for

    today = to_local(utcnow(), tz()).date()
    return open_for(sid(), stage, request_actor().user_id, today)


def render(template: str, **context: Any) -> str:
    """Render one of the station's templates (they live under station/templates/station/)."""
    return render_template(f"station/{template}", **context)
