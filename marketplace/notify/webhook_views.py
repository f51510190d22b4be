"""Pages for managers: webhook endpoints (register, secret shown once), and one endpoint's
delivery log with its attempts, ping, re-deliver, switch on and off, rotate, remove."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core.db import db
from core.enums import Role
from core.errors import DomainError
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.errors import flatten
from marketplace.notify import webhooks
from marketplace.notify.events import subscribable
from marketplace.notify.schemas import WebhookCreateSchema
from marketplace.notify.webhooks_api import no_store
from marketplace.pagination import paginate

bp = Blueprint("webhooks", __name__)
MANAGERS = [Role.MANAGER]
PER_PAGE = 25


def _message(err: DomainError) -> str:
    detail = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
    return gettext(err.message, **err.params) + (f"（{detail}）" if detail else "")


def _list_page(errors: dict[str, str], status: int = 200, created: Any = None) -> Any:
    actor = require_actor()
    return render_template(
        "notify/webhooks.html",
        endpoints=webhooks.endpoints_of(actor),
        events=subscribable(),
        errors=errors,
        values=request.form if request.method == "POST" and created is None else {},
        chosen=request.form.getlist("events") if created is None else [],
        created=created,
    ), status


@bp.get("/webhooks")
@access(roles=MANAGERS)
def index() -> Any:
    return _list_page({})


@bp.post("/webhooks")
@access(roles=MANAGERS)
def create() -> Any:
    raw = {
        "url": request.form.get("url", "").strip(),
        "events": request.form.getlist("events"),
        "description": request.form.get("description", "").strip(),
    }
    try:
        data = WebhookCreateSchema().load(raw)
        endpoint, secret = webhooks.create_endpoint(require_actor(), data, now=utcnow())
    except ValidationError as err:
        db.session.rollback()
        return _list_page(flatten(err.messages), 422)
    except DomainError as err:
        db.session.rollback()
        text = gettext(err.message, **err.params)
        return _list_page({k: text for k in err.fields} or {"_": text}, err.status)
    db.session.commit()
    no_store()
    # Rendered, not redirected: the secret must not travel through the session cookie.
    return _list_page({}, 201, created={"endpoint": endpoint, "secret": secret})


def _detail_page(endpoint_id: int, secret: str | None = None) -> Any:
    actor = require_actor()
    endpoint = webhooks.get_endpoint(actor, endpoint_id)
    page_no = request.args.get("page", "1")
    page_no = int(page_no) if page_no.isdigit() and 0 < int(page_no) <= 100_000 else 1
    page = paginate(webhooks.deliveries_query(actor, endpoint_id), page_no, PER_PAGE)
    return render_template(
        "notify/webhook.html",
        endpoint=endpoint,
        page=page,
        secret=secret,
        labels={e.name: e.label for e in subscribable()},
    )


@bp.get("/webhooks/<int:endpoint_id>")
@access(roles=MANAGERS)
def detail(endpoint_id: int) -> Any:
    return _detail_page(endpoint_id)


def _act(endpoint_id: int, work: Any, done: str) -> Any:
    try:
        work()
    except DomainError as err:
        db.session.rollback()
        flash(_message(err), "danger")
    else:
        db.session.commit()
        flash(done)
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.post("/webhooks/<int:endpoint_id>/ping")
@access(roles=MANAGERS)
def ping(endpoint_id: int) -> Any:
    return _act(
        endpoint_id,
        lambda: webhooks.ping(require_actor(), endpoint_id, now=utcnow()),
        gettext("测试消息已加入发送队列，下一轮投递（约半分钟内）发出。"),
    )


@bp.post("/webhooks/<int:endpoint_id>/active")
@access(roles=MANAGERS)
def set_active(endpoint_id: int) -> Any:
    active = request.form.get("active") == "1"
    return _act(
        endpoint_id,
        lambda: webhooks.update_endpoint(require_actor(), endpoint_id, {"active": active}),
        gettext("回调地址已启用。") if active else gettext("回调地址已停用。"),
    )


@bp.post("/webhooks/<int:endpoint_id>/secret")
@access(roles=MANAGERS)
def rotate(endpoint_id: int) -> Any:
    _, secret = webhooks.rotate_secret(require_actor(), endpoint_id)
    db.session.commit()
    no_store()
    return _detail_page(endpoint_id, secret=secret)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@access(roles=MANAGERS)
def delete(endpoint_id: int) -> Any:
    webhooks.delete_endpoint(require_actor(), endpoint_id)
    db.session.commit()
    flash(gettext("回调地址已删除。"))
    return redirect(url_for("webhooks.index"))


@bp.post("/webhooks/deliveries/<int:delivery_id>/redeliver")
@access(roles=MANAGERS)
def redeliver(delivery_id: int) -> Any:
    delivery = webhooks.get_delivery(require_actor(), delivery_id)
    return _act(
        delivery.endpoint_id,
        lambda: webhooks.redeliver(require_actor(), delivery_id, now=utcnow()),
        gettext("已重新加入发送队列。"),
    )
