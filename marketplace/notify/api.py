"""API: my organisation's notifications with my read state, and my notification settings."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from core.db import db
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.notify import services
from marketplace.notify.schemas import (
    NotificationListArgs,
    NotificationSchema,
    NotificationSettingsSchema,
    NotificationsReadSchema,
)
from marketplace.pagination import page_of, paginate

blp = Blueprint("notify_api", __name__, url_prefix="/api/v1", description="通知")


@blp.route("/notifications", methods=["GET"])
@access()
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, page_of(NotificationSchema))
def list_notifications(args: dict[str, Any]) -> Any:
    """My organisation's notifications, newest first, each with whether I have read it."""
    actor = require_actor()
    page = paginate(
        services.notifications_query(actor, unread_only=args["unread"]),
        args["page"],
        args["per_page"],
    )
    read = services.read_ids(actor.user_id, (n.id for n in page["items"]))
    for note in page["items"]:
        note.read = note.id in read  # transient: the caller's read state, for the response
    return page


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@access(self_service=True)
@blp.response(200, NotificationSchema)
def mark_read(notification_id: int) -> Any:
    """Mark one notification read (for me; my colleagues keep their own read state)."""
    actor = require_actor()
    note = services.mark_read(actor, notification_id, now=utcnow())
    db.session.commit()
    note.read = True
    return note


@blp.route("/notifications/read-all", methods=["POST"])
@access(self_service=True)
@blp.response(200, NotificationsReadSchema)
def mark_all_read() -> Any:
    """Mark all my organisation's notifications read for me."""
    marked = services.mark_all_read(require_actor(), now=utcnow())
    db.session.commit()
    return {"marked": marked}


@blp.route("/notification-settings", methods=["GET"])
@access()
@blp.response(200, NotificationSettingsSchema)
def get_settings() -> Any:
    """My e-mail address and whether notifications are mailed to it."""
    return current_user


@blp.route("/notification-settings", methods=["PUT"])
@access(self_service=True)
@blp.arguments(NotificationSettingsSchema)
@blp.response(200, NotificationSettingsSchema)
def put_settings(data: dict[str, Any]) -> Any:
    """Set my e-mail address (null for none) and whether notifications are mailed to it."""
    user = services.update_settings(
        current_user, email=data["email"], notify_email=data["notify_email"]
    )
    db.session.commit()
    return user
