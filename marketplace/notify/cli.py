"""`flask notify …`: sending the outbox from cron when no Celery beat runs."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.notify import delivery

notify_cli = AppGroup("notify", help="通知与回调 / Notifications and webhooks.")


@notify_cli.command("deliver")
@click.option("--max-rows", default=500, show_default=True, help="stop after this many rows")
def deliver(max_rows: int) -> None:
    """Send every due webhook delivery and e-mail (each row commits on its own)."""
    report = delivery.deliver_due(max_rows=max_rows, budget_s=float("inf"))
    click.echo(
        f"webhooks: {report.delivered} delivered, {report.retrying} to retry, "
        f"{report.failed} failed; e-mails: {report.emailed} sent, "
        f"{report.email_retrying} to retry, {report.email_failed} failed"
        + (f"; disabled endpoints: {report.disabled}" if report.disabled else "")
    )
