"""Sending what is due: webhook deliveries and e-mails, each row in its own transaction.

Safe with several workers at once: each row is claimed with `SELECT … FOR UPDATE SKIP LOCKED`
on PostgreSQL (another worker skips it and takes the next), held while it is sent, and
updated and committed with its attempt. SQLite has no row locks and serialises writers, so
there the claim is a plain SELECT. A worker that dies mid-send rolls back: the row is due
again, so a receiver may see a delivery twice — the `X-Huanlian-Delivery` id lets it tell.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.errors import Invalid
from core.i18n import N_
from core.models import User
from core.time import utcnow
from marketplace.notify import addresses, backoff, mailer, sender, signing
from marketplace.notify.models import (
    EmailMessage,
    OutboxStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from marketplace.notify.services import publish
from marketplace.notify.webhooks import policy, secret_of

log = logging.getLogger(__name__)
DISABLED_MESSAGE = N_(
    "回调地址 %(url)s 连续 %(n)d 次投递失败，已停用；修复后请在回调设置中重新启用。"
)


@dataclass
class Report:
    """What one run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    emailed: int = 0
    email_retrying: int = 0
    email_failed: int = 0
    disabled: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _claim(model: Any, now: datetime, extra: tuple[Any, ...] = ()) -> Any:
    stmt = (
        sa.select(model)
        .where(model.status == OutboxStatus.PENDING, model.next_attempt_at <= now, *extra)
        .order_by(model.next_attempt_at, model.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=model)
    )
    return db.session.scalars(stmt).first()


def _headers(delivery: WebhookDelivery, secret: str, body: bytes, now: datetime) -> dict[str, str]:
    return {
        "X-Huanlian-Event": delivery.event,
        "X-Huanlian-Delivery": delivery.public_id,
        signing.HEADER: signing.header_value(secret, int(now.timestamp()), body),
    }


def _attempt_webhook(delivery: WebhookDelivery, now: datetime) -> sender.Outcome:
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    try:
        target = addresses.check_url(endpoint.url, policy())
    except Invalid as err:  # the name now resolves somewhere it may not go
        return sender.Outcome(None, f"refused: {err.fields.get('url', err.message)}", 0)
    return sender.post(
        target,
        body,
        _headers(delivery, secret_of(endpoint), body, now),
        float(current_app.config["WEBHOOK_TIMEOUT_S"]),
    )


def _after_attempt(
    delivery: WebhookDelivery, outcome: sender.Outcome, now: datetime, report: Report
) -> None:
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error[:300],
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.response_excerpt,
        )
    )
    # The endpoint row is locked only now, briefly, for its failure counter.
    endpoint = db.session.scalar(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.id == delivery.endpoint_id)
        .with_for_update()
    )
    assert endpoint is not None
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            OutboxStatus.SUCCEEDED,
            now,
            None,
        )
        endpoint.consecutive_failures = 0
        report.delivered += 1
        return
    delivery.failures += 1
    retry_at = backoff.next_attempt(delivery.failures, now)
    if retry_at is None:
        delivery.status, delivery.next_attempt_at = OutboxStatus.FAILED, None
        report.failed += 1
    else:
        delivery.next_attempt_at = retry_at
        report.retrying += 1
    endpoint.consecutive_failures += 1
    limit = int(current_app.config["WEBHOOK_DISABLE_AFTER"])
    if endpoint.active and endpoint.consecutive_failures >= limit:
        _disable(endpoint, now)
        report.disabled.append(endpoint.id)


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.active, endpoint.disabled_at = False, now
    log.warning(
        "webhook endpoint %s disabled after %s failures", endpoint.id, endpoint.consecutive_failures
    )
    publish(
        "webhook.disabled",
        [endpoint.organization_id],
        message=DISABLED_MESSAGE,
        params={"url": endpoint.url, "n": endpoint.consecutive_failures},
        link=f"/webhooks/{endpoint.id}",
        now=now,
    )


def deliver_one_webhook(now: datetime, report: Report) -> bool:
    """Claim, send and record one due delivery; False when nothing is due."""
    delivery = _claim(
        WebhookDelivery,
        now,
        extra=(
            WebhookDelivery.endpoint_id.in_(
                sa.select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
            ),
        ),
    )
    if delivery is None:
        db.session.rollback()
        return False
    outcome = _attempt_webhook(delivery, now)
    _after_attempt(delivery, outcome, now, report)
    db.session.commit()
    return True


def send_one_email(now: datetime, report: Report) -> bool:
    """Claim, send and record one due e-mail; False when nothing is due."""
    message = _claim(EmailMessage, now)
    if message is None:
        db.session.rollback()
        return False
    user = db.session.get(User, message.user_id)
    assert user is not None
    try:
        config = mailer.settings(current_app.config)
        mailer.send(config, mailer.compose(message, user, config.base_url, config.sender))
    except mailer.MailError as exc:
        message.failures += 1
        message.last_error = str(exc)[:300]
        retry_at = backoff.next_attempt(message.failures, now)
        if retry_at is None:
            message.status, message.next_attempt_at = OutboxStatus.FAILED, None
            report.email_failed += 1
        else:
            message.next_attempt_at = retry_at
            report.email_retrying += 1
    else:
        message.status, message.sent_at, message.next_attempt_at = (
            OutboxStatus.SUCCEEDED,
            now,
            None,
        )
        report.emailed += 1
    db.session.commit()
    return True


def deliver_due(
    *, now: Callable[[], datetime] = utcnow, max_rows: int = 500, budget_s: float = 25.0
) -> Report:
    """Send due deliveries and e-mails until none is due, `max_rows` were handled or the time
    budget (shorter than the schedule's interval) is spent. Commits per row."""
    report = Report()
    started = time.monotonic()
    handled = 0
    for step in (deliver_one_webhook, send_one_email):
        while handled < max_rows and time.monotonic() - started < budget_s:
            if not step(now(), report):
                break
            handled += 1
    return report
