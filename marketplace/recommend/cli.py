"""`flask recommend …`: train a model version now, send the daily digest (for cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db
from core.errors import DomainError
from core.time import utcnow
from marketplace.recommend import outreach, training

recommend_cli = AppGroup("recommend", help="智能推荐 / Recommender.")


@recommend_cli.command("train")
def train() -> None:
    """Train on the platform's exposures and bids and make the new version active."""

    def progress(done: int, total: int | None = None, message: str = "") -> None:
        click.echo(f"[{done}/{total}] {message}")

    try:
        row = training.train(utcnow(), progress)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message % err.params if err.params else err.message) from err
    db.session.commit()
    click.echo(
        f"model v{row.version}: {row.n_exposures} exposures, {row.n_bids} bids, "
        f"{row.n_lots} lots, {row.n_buyers} buyers; metrics ({row.metrics_source}): "
        + ", ".join(f"{k}={v}" for k, v in row.metrics.items() if isinstance(v, float))
    )


@recommend_cli.command("digest")
def digest() -> None:
    """Send today's recommended lots to every recycler that has not had them yet."""
    sent = outreach.send_digests(utcnow())
    db.session.commit()
    click.echo(f"digests sent: {sent}")
