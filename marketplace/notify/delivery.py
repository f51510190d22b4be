"""Sending what is due: webhook deliveries and e-mails, each row in its own transaction.

Safe with several workers at once. On PostgreSQL each row is claimed with `SELECT … FOR UPDATE
SKIP LOCKED` (another worker skips it and takes the next) and stays locked while it is sent
and until its attempt is committed. SQLite has no row locks (the claim is a plain SELECT) and
serialises writers. Counters (a delivery's failures, an endpoint's failures in a row) are
incremented in the database with UPDATE … RETURNING, so two workers sending to one endpoint
never lose a count.

Delivery is at least once: a worker that dies mid-send leaves the row due, and a receiver may
see it twice — the `X-Huanlian-Delivery` id lets it tell.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage as MimeMessage
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
DELIVERIES = WebhookDelivery.__table__
ENDPOINTS = WebhookEndpoint.__table__
EMAILS = EmailMessage.__table__


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


@dataclass(frozen=True)
class _Job:
    """What a send needs, read before the send so no lazy load happens after it."""

    delivery_id: int
    public_id: str
    event: str
    body: bytes
    endpoint_id: int
    url: str
    secret: str


def _claim(model: Any, now: datetime, extra: tuple[Any, ...] = ()) -> Any:
    stmt = (
        sa.select(model)
        .where(model.status == OutboxStatus.PENDING, model.next_attempt_at <= now, *extra)
        .order_by(model.next_attempt_at, model.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=model)
    )
    return db.session.scalars(stmt).first()


def _send(job: _Job, now: datetime) -> sender.Outcome:
    try:
        target = addresses.check_url(job.url, policy())
    except Invalid as err:  # the name now resolves somewhere it may not go
        return sender.Outcome(None, f"refused: {err.fields.get('url', err.message)}", 0)
    headers = {
        "X-Huanlian-Event": job.event,
        "X-Huanlian-Delivery": job.public_id,
        signing.HEADER: signing.header_value(job.secret, int(now.timestamp()), job.body),
    }
    return sender.post(target, job.body, headers, float(current_app.config["WEBHOOK_TIMEOUT_S"]))


def _record(job: _Job, outcome: sender.Outcome, now: datetime, report: Report) -> None:
    db.session.execute(
        sa.insert(WebhookAttempt.__table__).values(
            delivery_id=job.delivery_id,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error[:300],
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.response_excerpt,
        )
    )
    this = DELIVERIES.c.id == job.delivery_id
    endpoint = ENDPOINTS.c.id == job.endpoint_id
    if outcome.ok:
        db.session.execute(
            sa.update(DELIVERIES)
            .where(this)
            .values(status=OutboxStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None)
        )
        db.session.execute(sa.update(ENDPOINTS).where(endpoint).values(consecutive_failures=0))
        report.delivered += 1
        return
    failures = db.session.execute(
        sa.update(DELIVERIES)
        .where(this)
        .values(failures=DELIVERIES.c.failures + 1)
        .returning(DELIVERIES.c.failures)
    ).scalar_one()
    retry_at = backoff.next_attempt(failures, now)
    if retry_at is None:
        values: dict[str, Any] = {"status": OutboxStatus.FAILED, "next_attempt_at": None}
        report.failed += 1
    else:
        values = {"next_attempt_at": retry_at}
        report.retrying += 1
    db.session.execute(sa.update(DELIVERIES).where(this).values(**values))
    in_a_row, active = db.session.execute(
        sa.update(ENDPOINTS)
        .where(endpoint)
        .values(consecutive_failures=ENDPOINTS.c.consecutive_failures + 1)
        .returning(ENDPOINTS.c.consecutive_failures, ENDPOINTS.c.active)
    ).one()
    if active and in_a_row >= int(current_app.config["WEBHOOK_DISABLE_AFTER"]):
        _disable(job.endpoint_id, job.url, in_a_row, now)
        report.disabled.append(job.endpoint_id)


def _disable(endpoint_id: int, url: str, in_a_row: int, now: datetime) -> None:
    """Switch the endpoint off and tell its organisation (in the app and by e-mail)."""
    org_id = db.session.execute(
        sa.update(ENDPOINTS)
        .where(ENDPOINTS.c.id == endpoint_id)
        .values(active=False, disabled_at=now)
        .returning(ENDPOINTS.c.organization_id)
    ).scalar_one()
    log.warning("webhook endpoint %s disabled after %s failures in a row", endpoint_id, in_a_row)
    publish(
        "webhook.disabled",
        [org_id],
        message=DISABLED_MESSAGE,
        params={"url": url, "n": in_a_row},
        link=f"/webhooks/{endpoint_id}",
        now=now,
    )


def deliver_one_webhook(now: datetime, report: Report) -> bool:
    """Claim, send and record one due delivery; False when nothing is due."""
    active = sa.select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
    delivery = _claim(WebhookDelivery, now, extra=(WebhookDelivery.endpoint_id.in_(active),))
    if delivery is None:
        db.session.rollback()
        return False
    endpoint = delivery.endpoint
    job = _Job(
        delivery.id,
        delivery.public_id,
        delivery.event,
        delivery.body.encode(),
        endpoint.id,
        endpoint.url,
        secret_of(endpoint),
    )
    outcome = _send(job, now)
    _record(job, outcome, now, report)
    db.session.commit()
    return True


def send_one_email(now: datetime, report: Report) -> bool:
    """Claim, send and record one due e-mail; False when nothing is due."""
    row = _claim(EmailMessage, now)
    if row is None:
        db.session.rollback()
        return False
    row_id = row.id
    try:
        config = mailer.settings(current_app.config)
        user = db.session.get(User, row.user_id)
        assert user is not None
        message: MimeMessage | None = mailer.compose(row, user, config.base_url, config.sender)
    except mailer.MailError as exc:
        message, error = None, str(exc)
    if message is not None:
        try:
            mailer.send(config, message)
            error = ""
        except mailer.MailError as exc:
            error = str(exc)
    this = EMAILS.c.id == row_id
    if not error:
        db.session.execute(
            sa.update(EMAILS)
            .where(this)
            .values(status=OutboxStatus.SUCCEEDED, sent_at=now, next_attempt_at=None)
        )
        report.emailed += 1
    else:
        failures = db.session.execute(
            sa.update(EMAILS)
            .where(this)
            .values(failures=EMAILS.c.failures + 1, last_error=error[:300])
            .returning(EMAILS.c.failures)
        ).scalar_one()
        retry_at = backoff.next_attempt(failures, now)
        if retry_at is None:
            values: dict[str, Any] = {"status": OutboxStatus.FAILED, "next_attempt_at": None}
            report.email_failed += 1
        else:
            values = {"next_attempt_at": retry_at}
            report.email_retrying += 1
        db.session.execute(sa.update(EMAILS).where(this).values(**values))
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
