"""Pages: my notifications (newest first, unread highlighted, mark read), my notification
settings, and the unread badge every page's nav bar shows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import ValidationError

from core.db import db
from core.errors import DomainError
from core.time import utcnow
from marketplace.access import access, current_actor, require_actor
from marketplace.errors import flatten
from marketplace.notify import services
from marketplace.notify.events import EVENTS
from marketplace.notify.render import render
from marketplace.notify.schemas import NotificationSettingsSchema
from marketplace.pagination import paginate

bp = Blueprint("notify", __name__)
PER_PAGE = 30


@bp.app_context_processor
def unread_badge() -> dict[str, Any]:
    """`unread_notifications()` for the nav bar: one count query, only if a page asks, once."""

    def unread_notifications() -> int:
        if "notify_unread" not in g:
            actor = current_actor()
            g.notify_unread = services.unread_count(actor) if actor is not None else 0
        return int(g.notify_unread)

    return {"unread_notifications": unread_notifications, "render_notification": render}


def safe_path(target: str | None) -> str | None:
    """A path inside this site (never `//host` or a scheme), else None."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.get("/notifications")
@access()
def notifications() -> Any:
    actor = require_actor()
    page_no = request.args.get("page", "1")
    page_no = int(page_no) if page_no.isdigit() and 0 < int(page_no) <= 100_000 else 1
    unread_only = request.args.get("unread") == "1"
    page = paginate(services.notifications_query(actor, unread_only=unread_only), page_no, PER_PAGE)
    read = services.read_ids(actor.user_id, (n.id for n in page["items"]))
    return render_template(
        "notify/notifications.html",
        page=page,
        read=read,
        unread_only=unread_only,
        labels={e.name: e.label for e in EVENTS.values()},
    )


@bp.post("/notifications/<int:notification_id>/read")
@access(self_service=True)
def mark_read(notification_id: int) -> Any:
    note = services.mark_read(require_actor(), notification_id, now=utcnow())
    db.session.commit()
    if request.form.get("open") and safe_path(note.link):
        return redirect(note.link or "/")
    return redirect(safe_path(request.form.get("next")) or url_for("notify.notifications"))


@bp.post("/notifications/read-all")
@access(self_service=True)
def mark_all_read() -> Any:
    marked = services.mark_all_read(require_actor(), now=utcnow())
    db.session.commit()
    flash(gettext("已将%(n)d条通知标为已读。", n=marked))
    return redirect(url_for("notify.notifications"))


def _settings_page(errors: dict[str, str], status: int = 200) -> Any:
    values = request.form if request.method == "POST" else None
    return render_template(
        "notify/settings.html",
        errors=errors,
        email=(values.get("email", "") if values is not None else current_user.email) or "",
        notify_email=(
            values.get("notify_email") == "1" if values is not None else current_user.notify_email
        ),
        smtp=services.smtp_configured(),
    ), status


@bp.get("/settings/notifications")
@access()
def settings() -> Any:
    return _settings_page({})


@bp.post("/settings/notifications")
@access(self_service=True)
def save_settings() -> Any:
    raw = {
        "email": request.form.get("email", "").strip() or None,
        "notify_email": request.form.get("notify_email") == "1",
    }
    try:
        data = NotificationSettingsSchema().load(raw)
        services.update_settings(
            current_user, email=data["email"], notify_email=data["notify_email"]
        )
    except ValidationError as err:
        db.session.rollback()
        return _settings_page(flatten(err.messages), 422)
    except DomainError as err:
        db.session.rollback()
        return _settings_page(err.fields or {"_": gettext(err.message, **err.params)}, 422)
    db.session.commit()
    flash(gettext("通知设置已保存。"))
    return redirect(url_for("notify.settings"))
