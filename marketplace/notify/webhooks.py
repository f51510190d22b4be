"""Webhook endpoints, managed by an organisation's managers: register, change, rotate the
secret, remove; send a test ping; re-deliver a delivery.

The signing secret is derived, not stored: `HMAC(SECRET_KEY, salt)` with a random per-endpoint
salt. HMAC signing needs the secret on our side, so it cannot be hashed like a password; a
derived secret is usable only by a server that holds SECRET_KEY, so a copy of the database
alone signs nothing, and it needs no key-management of its own. Rotating SECRET_KEY changes
every endpoint's secret (as it ends every session); rotating one endpoint's secret is a new salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from core import audit, auth
from core.auth import Actor
from core.db import db
from core.errors import Conflict, Invalid, NotFound
from marketplace.notify import addresses
from marketplace.notify.events import EVENTS, PING
from marketplace.notify.models import OutboxStatus, WebhookDelivery, WebhookEndpoint
from marketplace.notify.services import new_delivery

SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS_PER_ORG = 10


def policy() -> addresses.Policy:
    """What this installation admits beyond public HTTPS (configuration, never input)."""
    return addresses.Policy.from_config(
        current_app.config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK", False),
        current_app.config.get("WEBHOOK_ALLOWED_NETWORKS", ()),
    )


def secret_of(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, recomputed from SECRET_KEY and its salt."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"huanlian-webhook:" + endpoint.secret_salt.encode(), hashlib.sha256)
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def _new_secret(endpoint: WebhookEndpoint) -> str:
    endpoint.secret_salt = secrets.token_hex(32)
    plain = secret_of(endpoint)
    endpoint.secret_hint = plain[: len(SECRET_PREFIX) + 4]
    return plain


def _events(names: list[str]) -> list[str]:
    if not names:
        raise Invalid("请至少选择一个事件", {"events": "choose at least one"})
    bad = [n for n in names if n not in EVENTS or not EVENTS[n].webhook]
    if bad:
        raise Invalid("不能订阅的事件：%(names)s", {"events": "unknown"}, names=", ".join(bad))
    return list(dict.fromkeys(names))


def _own(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("回调地址不存在")
    auth.require_write_org(
        actor, endpoint.organization_id, manager=True, target=f"webhook:{endpoint_id}"
    )
    return endpoint


def endpoints_of(actor: Actor) -> list[WebhookEndpoint]:
    """The organisation's endpoints (managers only), oldest first."""
    auth.require_write_org(actor, actor.org_id, manager=True, target="webhooks")
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == actor.org_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint of the actor's organisation."""
    return _own(actor, endpoint_id)


def create_endpoint(
    actor: Actor, data: dict[str, Any], *, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; the secret is returned here once and can only be rotated after."""
    auth.require_write_org(actor, actor.org_id, manager=True, target="webhooks")
    addresses.check_url(data["url"], policy())
    events = _events(data["events"])
    count = db.session.scalar(
        sa.select(sa.func.count()).where(WebhookEndpoint.organization_id == actor.org_id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_ORG:
        raise Conflict(
            "每个组织最多登记%(n)d个回调地址",
            {"url": "too many endpoints"},
            n=MAX_ENDPOINTS_PER_ORG,
        )
    endpoint = WebhookEndpoint(
        organization_id=actor.org_id,
        url=data["url"],
        description=data.get("description", ""),
        events=events,
        active=True,
        consecutive_failures=0,
        created_at=now,
        created_by=actor.user_id,
    )
    plain = _new_secret(endpoint)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook.created",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"webhook:{endpoint.id}",
        url=endpoint.url,
    )
    return endpoint, plain


def update_endpoint(actor: Actor, endpoint_id: int, data: dict[str, Any]) -> WebhookEndpoint:
    """Change URL, events, description, or switch it on and off (on again resets failures)."""
    endpoint = _own(actor, endpoint_id)
    if "url" in data:
        addresses.check_url(data["url"], policy())
        endpoint.url = data["url"]
    if "events" in data:
        endpoint.events = _events(data["events"])
    if "description" in data:
        endpoint.description = data["description"]
    if "active" in data and data["active"] != endpoint.active:
        endpoint.active = data["active"]
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
    audit.record(
        "webhook.updated",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"webhook:{endpoint.id}",
        fields=sorted(data),
    )
    return endpoint


def delete_endpoint(actor: Actor, endpoint_id: int) -> None:
    """Remove an endpoint with its delivery log."""
    endpoint = _own(actor, endpoint_id)
    audit.record(
        "webhook.deleted",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"webhook:{endpoint.id}",
        url=endpoint.url,
    )
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)


def rotate_secret(actor: Actor, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret for the endpoint, returned once; the old one stops signing at once."""
    endpoint = _own(actor, endpoint_id)
    plain = _new_secret(endpoint)
    audit.record(
        "webhook.secret_rotated",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"webhook:{endpoint.id}",
    )
    return endpoint, plain


def ping(actor: Actor, endpoint_id: int, *, now: datetime) -> WebhookDelivery:
    """Queue a `webhook.ping` delivery to this endpoint (sent by the next delivery run)."""
    endpoint = _own(actor, endpoint_id)
    delivery = new_delivery(endpoint, PING, {"endpoint_id": endpoint.id, "message": "ping"}, now)
    db.session.flush()
    return delivery


def deliveries_query(actor: Actor, endpoint_id: int) -> sa.Select[Any]:
    """The endpoint's deliveries, newest first."""
    endpoint = _own(actor, endpoint_id)
    return (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .options(selectinload(WebhookDelivery.attempts))
    )


def get_delivery(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """One delivery with its attempts, if it belongs to one of the actor's endpoints."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("投递记录不存在")
    _own(actor, delivery.endpoint_id)
    return delivery


def redeliver(actor: Actor, delivery_id: int, *, now: datetime) -> WebhookDelivery:
    """Queue a finished delivery again, same body and id (the receiver can tell it has it)."""
    delivery = db.session.scalar(
        sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if delivery is None:
        raise NotFound("投递记录不存在")
    _own(actor, delivery.endpoint_id)
    if delivery.status is OutboxStatus.PENDING:
        raise Conflict("该投递仍在发送队列中", {"status": delivery.status.value})
    delivery.status = OutboxStatus.PENDING
    delivery.failures = 0
    delivery.next_attempt_at = now
    return delivery
