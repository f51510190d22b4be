"""API schemas for notifications, notification settings, webhook endpoints and deliveries."""

from __future__ import annotations

from marshmallow import fields, validate

from marketplace.notify.events import subscribable
from marketplace.notify.render import render
from marketplace.pagination import PageArgs
from marketplace.schema import BaseSchema

EVENT_NAMES = [e.name for e in subscribable()]


class NotificationListArgs(PageArgs):
    unread = fields.Bool(load_default=False, metadata={"description": "only unread ones"})


class NotificationSchema(BaseSchema):
    id = fields.Int()
    event = fields.Str()
    message = fields.Function(
        lambda n: render(n.message, n.params),
        metadata={"description": "in the caller's language"},
    )
    link = fields.Str(allow_none=True, metadata={"description": "path inside the platform"})
    created_at = fields.AwareDateTime()
    read = fields.Bool(metadata={"description": "read by the caller"})


class NotificationsReadSchema(BaseSchema):
    marked = fields.Int(metadata={"description": "how many were unread"})


class NotificationSettingsSchema(BaseSchema):
    email = fields.Email(
        required=True,
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "null: no e-mail"},
    )
    notify_email = fields.Bool(
        required=True, metadata={"description": "mail notifications (when SMTP is configured)"}
    )


class WebhookCreateSchema(BaseSchema):
    url = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "https:// to a public address"},
    )
    events = fields.List(
        fields.Str(validate=validate.OneOf(EVENT_NAMES)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_NAMES)),
    )
    description = fields.Str(load_default="", validate=validate.Length(max=200))


class WebhookUpdateSchema(WebhookCreateSchema):
    active = fields.Bool(metadata={"description": "true re-enables a disabled endpoint"})


class WebhookSchema(BaseSchema):
    id = fields.Int()
    url = fields.Str()
    description = fields.Str()
    events = fields.List(fields.Str())
    active = fields.Bool()
    consecutive_failures = fields.Int()
    disabled_at = fields.AwareDateTime(allow_none=True)
    secret_hint = fields.Str(metadata={"description": "first characters of the secret"})
    created_at = fields.AwareDateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.Str(metadata={"description": "the signing secret; shown only once"})


class WebhookAttemptSchema(BaseSchema):
    at = fields.AwareDateTime()
    status_code = fields.Int(allow_none=True)
    error = fields.Str()
    duration_ms = fields.Int()
    response_excerpt = fields.Str()


class WebhookDeliverySchema(BaseSchema):
    id = fields.Int()
    public_id = fields.Str(metadata={"description": "X-Huanlian-Delivery; the idempotency key"})
    endpoint_id = fields.Int()
    event = fields.Str()
    status = fields.Str(attribute="status.value")
    failures = fields.Int()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)


class WebhookDeliveryDetailSchema(WebhookDeliverySchema):
    body = fields.Str(metadata={"description": "the exact JSON body that is signed and sent"})
    attempts = fields.List(fields.Nested(WebhookAttemptSchema))


WEBHOOK_EXAMPLE = {
    "url": "https://erp.example.com/huanlian/webhook",
    "events": ["trade.awarded", "pickup.scheduled"],
    "description": "ERP 采购模块",
}
