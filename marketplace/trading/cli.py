"""`flask trading …`: the scheduled work, for cron where no Celery beat runs."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db
from core.time import utcnow
from marketplace.trading import services, trades

trading_cli = AppGroup("trading", help="竞价与成交 / Sales and trades.")


@trading_cli.command("close-due")
def close_due() -> None:
    """Close every sale whose deadline has passed (run each minute from cron without Celery)."""
    closed = services.close_due(now=utcnow())
    db.session.commit()
    click.echo(f"closed {len(closed)} sale(s): {closed}")


@trading_cli.command("settle-due")
def settle_due() -> None:
    """Settle every delivered trade whose dispute window has passed without a dispute."""
    settled = trades.settle_due(now=utcnow())
    db.session.commit()
    click.echo(f"settled {len(settled)} trade(s): {settled}")
