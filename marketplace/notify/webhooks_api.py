"""API: webhook endpoints of my organisation (managers), their delivery log, ping, re-deliver."""

from __future__ import annotations

from typing import Any

from flask import Response, after_this_request
from flask_smorest import Blueprint

from core.db import db
from core.enums import Role
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.notify import webhooks
from marketplace.notify.schemas import (
    WEBHOOK_EXAMPLE,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliveryDetailSchema,
    WebhookDeliverySchema,
    WebhookSchema,
    WebhookUpdateSchema,
)
from marketplace.pagination import PageArgs, page_of, paginate

blp = Blueprint(
    "webhooks_api", __name__, url_prefix="/api/v1/webhooks", description="回调（Webhook）"
)
MANAGERS = [Role.MANAGER]


def no_store() -> None:
    """Mark the current response uncacheable: it carries a secret shown only once."""

    @after_this_request
    def header(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("", methods=["GET"])
@access(roles=MANAGERS)
@blp.response(200, WebhookSchema(many=True))
def list_webhooks() -> Any:
    """My organisation's webhook endpoints."""
    return webhooks.endpoints_of(require_actor())


@blp.route("", methods=["POST"])
@access(roles=MANAGERS)
@blp.arguments(WebhookCreateSchema, example=WEBHOOK_EXAMPLE)
@blp.response(201, WebhookCreatedSchema)
def create_webhook(data: dict[str, Any]) -> Any:
    """Register an endpoint; the signing secret is in this response only."""
    endpoint, secret = webhooks.create_endpoint(require_actor(), data, now=utcnow())
    db.session.commit()
    no_store()
    endpoint.secret = secret  # transient: dumped once, never stored
    return endpoint


@blp.route("/<int:endpoint_id>", methods=["GET"])
@access(roles=MANAGERS)
@blp.response(200, WebhookSchema)
def get_webhook(endpoint_id: int) -> Any:
    """One endpoint (without its secret)."""
    return webhooks.get_endpoint(require_actor(), endpoint_id)


@blp.route("/<int:endpoint_id>", methods=["PATCH"])
@access(roles=MANAGERS)
@blp.arguments(WebhookUpdateSchema(partial=True))
@blp.response(200, WebhookSchema)
def update_webhook(data: dict[str, Any], endpoint_id: int) -> Any:
    """Change URL, events or description; `active: true` re-enables a disabled endpoint."""
    endpoint = webhooks.update_endpoint(require_actor(), endpoint_id, data)
    db.session.commit()
    return endpoint


@blp.route("/<int:endpoint_id>", methods=["DELETE"])
@access(roles=MANAGERS)
@blp.response(204)
def delete_webhook(endpoint_id: int) -> Any:
    """Remove an endpoint and its delivery log."""
    webhooks.delete_endpoint(require_actor(), endpoint_id)
    db.session.commit()
    return ""


@blp.route("/<int:endpoint_id>/secret", methods=["POST"])
@access(roles=MANAGERS)
@blp.response(200, WebhookCreatedSchema)
def rotate_secret(endpoint_id: int) -> Any:
    """A new signing secret (in this response only); the old one stops at once."""
    endpoint, secret = webhooks.rotate_secret(require_actor(), endpoint_id)
    db.session.commit()
    no_store()
    endpoint.secret = secret
    return endpoint


@blp.route("/<int:endpoint_id>/ping", methods=["POST"])
@access(roles=MANAGERS)
@blp.response(202, WebhookDeliverySchema)
def ping_webhook(endpoint_id: int) -> Any:
    """Queue a `webhook.ping` to the endpoint; the next delivery run sends it."""
    delivery = webhooks.ping(require_actor(), endpoint_id, now=utcnow())
    db.session.commit()
    return delivery


@blp.route("/<int:endpoint_id>/deliveries", methods=["GET"])
@access(roles=MANAGERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(WebhookDeliverySchema))
def list_deliveries(args: dict[str, Any], endpoint_id: int) -> Any:
    """The endpoint's delivery log, newest first."""
    stmt = webhooks.deliveries_query(require_actor(), endpoint_id)
    return paginate(stmt, args["page"], args["per_page"])


@blp.route("/deliveries/<int:delivery_id>", methods=["GET"])
@access(roles=MANAGERS)
@blp.response(200, WebhookDeliveryDetailSchema)
def get_delivery(delivery_id: int) -> Any:
    """One delivery: the signed body and every attempt (time, status or error, duration)."""
    return webhooks.get_delivery(require_actor(), delivery_id)


@blp.route("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@access(roles=MANAGERS)
@blp.response(202, WebhookDeliverySchema)
def redeliver(delivery_id: int) -> Any:
    """Queue a finished (failed or delivered) delivery again with the same id and body."""
    delivery = webhooks.redeliver(require_actor(), delivery_id, now=utcnow())
    db.session.commit()
    return delivery
