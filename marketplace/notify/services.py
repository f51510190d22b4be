"""Publishing (the one entry point other features call) and the in-app read state.

`publish` writes the outbox in the caller's transaction: one notification per organisation,
one delivery per endpoint of that organisation that wants the event, and — when SMTP is
configured — one e-mail per user who has an address and has not opted out. The caller commits;
if it rolls back, nothing was announced. The delivery job sends the rest afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from core.auth import Actor
from core.db import db
from core.errors import NotFound
from core.models import User
from core.time import utcnow
from marketplace.notify.events import require_known
from marketplace.notify.models import (
    EmailMessage,
    Notification,
    NotificationRead,
    OutboxStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_LINK = 300


def smtp_configured() -> bool:
    """E-mail exists only when an SMTP host is set; otherwise no e-mail rows are written."""
    return bool(current_app.config.get("SMTP_HOST"))


def webhook_body(public_id: str, event: str, org_id: int, at: datetime, data: Any) -> str:
    """The JSON a receiver gets: an envelope naming the delivery and event around `data`."""
    envelope = {
        "id": public_id,
        "event": event,
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "organization_id": org_id,
        "data": data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def new_delivery(
    endpoint: WebhookEndpoint, event: str, data: Any, now: datetime
) -> WebhookDelivery:
    """A pending delivery of `event` to `endpoint`, due now."""
    public_id = str(uuid.uuid4())
    delivery = WebhookDelivery(
        public_id=public_id,
        endpoint_id=endpoint.id,
        event=event,
        body=webhook_body(public_id, event, endpoint.organization_id, now, data),
        status=OutboxStatus.PENDING,
        failures=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    return delivery


def publish(
    event: str,
    org_ids: Iterable[int],
    *,
    message: str,
    params: Mapping[str, Any] | None = None,
    link: str | None = None,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Announce `event` to each organisation in `org_ids`, inside the caller's transaction.

    `message` is a Chinese msgid (mark it with `N_`) with %(name)s placeholders filled from
    `params` when shown; `link` a path inside the platform (e.g. `/lots/12`); `payload` the
    JSON `data` of the webhook body. Mistakes here are programming errors (ValueError /
    TypeError), raised before anything is written.
    """
    require_known(event)
    params = dict(params or {})
    _ = message % params  # a missing placeholder fails here, not when the page shows it
    json.dumps(params)
    data = dict(payload or {})
    json.dumps(data)
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("link is a path inside the platform, e.g. /lots/12")
    if link is not None and len(link) > MAX_LINK:
        raise ValueError(f"link longer than {MAX_LINK} characters")
    now = now or utcnow()
    orgs = list(dict.fromkeys(int(o) for o in org_ids))
    if not orgs:
        return
    notes = [
        Notification(
            organization_id=org,
            event=event,
            message=message,
            params=params,
            link=link,
            created_at=now,
        )
        for org in orgs
    ]
    db.session.add_all(notes)
    db.session.flush()
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id.in_(orgs), WebhookEndpoint.active.is_(True))
        .order_by(WebhookEndpoint.id)
    )
    for endpoint in endpoints:
        if endpoint.wants(event):
            new_delivery(endpoint, event, data, now)
    if smtp_configured():
        by_org = {n.organization_id: n for n in notes}
        users = db.session.execute(
            sa.select(User.id, User.organization_id, User.email).where(
                User.organization_id.in_(orgs),
                User.is_active.is_(True),
                User.notify_email.is_(True),
                User.email.is_not(None),
                User.email != "",
            )
        )
        for user_id, org_id, email in users:
            db.session.add(
                EmailMessage(
                    notification_id=by_org[org_id].id,
                    user_id=user_id,
                    to_address=email,
                    status=OutboxStatus.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    db.session.flush()


# --- in-app read state -----------------------------------------------------------------------


def _read_exists(user_id: int) -> sa.Exists:
    return sa.exists().where(
        NotificationRead.notification_id == Notification.id, NotificationRead.user_id == user_id
    )


def notifications_query(actor: Actor, *, unread_only: bool = False) -> sa.Select[Any]:
    """The actor's organisation's notifications, newest first."""
    stmt = (
        sa.select(Notification)
        .where(Notification.organization_id == actor.org_id)
        .order_by(Notification.id.desc())
    )
    if unread_only:
        stmt = stmt.where(~_read_exists(actor.user_id))
    return stmt


def read_ids(user_id: int, notification_ids: Iterable[int]) -> set[int]:
    """Which of these notifications the user has read (one query for a page of them)."""
    ids = list(notification_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(NotificationRead.notification_id).where(
                NotificationRead.user_id == user_id, NotificationRead.notification_id.in_(ids)
            )
        )
    )


def unread_count(actor: Actor) -> int:
    """How many of its organisation's notifications the user has not read (the nav badge)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.organization_id == actor.org_id, ~_read_exists(actor.user_id))
        )
        or 0
    )


def _insert_ignoring_duplicates() -> Any:
    """INSERT … ON CONFLICT DO NOTHING on either backend: two tabs marking the same
    notification read at once both succeed."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(NotificationRead.__table__).on_conflict_do_nothing()


def mark_read(actor: Actor, notification_id: int, *, now: datetime) -> Notification:
    """Mark one of the organisation's notifications read for this user (idempotent)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.organization_id != actor.org_id:
        raise NotFound("通知不存在")  # another organisation's notification is not disclosed
    db.session.execute(
        _insert_ignoring_duplicates().values(
            notification_id=note.id, user_id=actor.user_id, read_at=now
        )
    )
    return note


def mark_all_read(actor: Actor, *, now: datetime) -> int:
    """Mark every unread notification of the organisation read for this user; how many."""
    unread = sa.select(
        Notification.id,
        sa.literal(actor.user_id),
        sa.literal(now, type_=NotificationRead.read_at.type),
    ).where(Notification.organization_id == actor.org_id, ~_read_exists(actor.user_id))
    # RETURNING rather than rowcount: psycopg reports -1 for INSERT … SELECT through SQLAlchemy.
    inserted = db.session.execute(
        _insert_ignoring_duplicates()
        .from_select(["notification_id", "user_id", "read_at"], unread)
        .returning(NotificationRead.__table__.c.notification_id)
    )
    return len(inserted.all())


def update_settings(user: User, *, email: str | None, notify_email: bool) -> User:
    """The user's e-mail address (blank = none) and whether notifications are mailed to it."""
    user.email = (email or "").strip() or None
    user.notify_email = notify_email
    return user
