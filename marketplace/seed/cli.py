"""`flask seed …`: reference data for any install, and the demo cluster."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db
from core.errors import DomainError
from core.time import utcnow
from marketplace.lots.store import evidence_store
from marketplace.recommend.seed import seed_recommender
from marketplace.seed import services
from marketplace.seed.dashboard import seed_dashboard_reports
from marketplace.seed.dispatch import seed_dispatch
from marketplace.seed.history import seed_history
from marketplace.seed.market import seed_market
from marketplace.seed.station import seed_station
from marketplace.seed.tenders import seed_tenders

seed_cli = AppGroup("seed", help="初始化数据 / Seed data.")


@seed_cli.command("reference")
def reference() -> None:
    """Load the material catalogue and the DEFRA 2025 emission factors (idempotent)."""
    try:
        n = services.seed_reference_data()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from err
    db.session.commit()
    click.echo(f"catalogue: {n} categories")


@seed_cli.command("demo")
@click.option(
    "--market/--no-market",
    default=True,
    help="also list demo lots with evidence, service requests, 90 days of trading, 30 days "
    "of the demo station and today's published route plan",
)
def demo(market: bool) -> None:
    """Build the demo cluster in Dongguan with one user per role, and its market (idempotent)."""
    try:
        counts = services.seed_demo()
        lots = seed_market(evidence_store(), now=utcnow()) if market else 0
        tenders = seed_tenders(now=utcnow()) if market else 0
        history = seed_history(evidence_store(), now=utcnow()) if market else 0
        station = seed_station(now=utcnow()) if market else 0
        dispatch = seed_dispatch(now=utcnow()) if market else 0
        model = seed_recommender(now=utcnow()) if market else 0
        reports = seed_dashboard_reports(now=utcnow()) if market else 0
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from err
    db.session.commit()
    if lots:
        click.echo(f"demo market: {lots} lots")
    if tenders:
        click.echo(f"demo service requests: {tenders}")
    if history:
        click.echo(f"demo trading history (90 days): {history} trades")
    if station:
        click.echo(f"demo station (30 days): {station} weighings")
    if dispatch:
        click.echo(f"demo dispatch (today, published): {dispatch} stops")
    if model:
        click.echo(f"demo recommender: model v{model} trained on the history's bids")
    if reports:
        click.echo(f"demo monthly reports (value added, inputs, capacity): {reports}")
    if not counts:
        click.echo("demo cluster already present; nothing to do")
        return
    click.echo("demo cluster: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    click.echo(
        f"demo users ({services.DEMO_PASSWORD}): "
        + ", ".join(u for u, _, _ in services.DEMO_USERS.values())
    )
