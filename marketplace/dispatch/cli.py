"""`flask dispatch …`: listen to the fill-level sensors on the broker, or simulate them."""

from __future__ import annotations

import random
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from core.db import db
from marketplace.dispatch import sensors
from marketplace.dispatch.models import FillSensor

dispatch_cli = AppGroup("dispatch", help="收料调度 / Dispatch.")


def _url(url: str | None) -> str:
    found = url or current_app.config.get("MQTT_URL")
    if not found:
        raise click.ClickException("set MQTT_URL or pass --url (e.g. mqtt://127.0.0.1:1883)")
    return str(found)


@dispatch_cli.command("fill-listen")
@click.option("--url", default=None, help="broker, e.g. mqtt://127.0.0.1:1883")
def fill_listen(url: str | None) -> None:
    """Record fill readings from the broker until interrupted."""
    client = sensors.listen(current_app._get_current_object(), _url(url))  # type: ignore[attr-defined]
    click.echo(f"listening on {sensors.TOPIC}/#")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        client.loop_stop()
        client.disconnect()


@dispatch_cli.command("fill-simulate")
@click.option("--url", default=None)
@click.option("--rounds", default=5, show_default=True)
@click.option("--seed", default=20261203, show_default=True)
def fill_simulate(url: str | None, rounds: int, seed: int) -> None:
    """Publish rising fill levels for every sensor (the demo's containers)."""
    keys = list(db.session.scalars(sa.select(FillSensor.key).order_by(FillSensor.key)))
    rng = random.Random(seed)
    level = {k: rng.uniform(20, 60) for k in keys}
    readings = []
    for _ in range(rounds):
        for k in keys:
            level[k] = min(100.0, level[k] + rng.uniform(5, 15))
            readings.append((k, round(level[k], 1)))
    click.echo(f"published {sensors.simulate(_url(url), readings)} readings")
