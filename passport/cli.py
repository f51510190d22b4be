"""`flask passport …`: verify a lot from the database, sign a checkpoint, export a bundle.

flask passport verify HL-2026-000123      # exit status 1 when anything is wrong
flask passport checkpoint                 # sign and publish one now
flask passport export HL-2026-000123 -o bundle.json
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from core.db import db
from core.errors import DomainError
from passport.services import proofs

passport_cli = AppGroup("passport", help="批次护照 / Passports.")


@passport_cli.command("verify")
@click.argument("lot")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]))
def verify(lot: str, lang: str) -> None:
    """Verify LOT's passport from the database (signature, schema, chains, proofs, heads)."""
    try:
        report = proofs.verify_lot(lot)
        db.session.commit()  # a checkpoint may have been made for the lot's newest events
    except DomainError as error:
        raise click.ClickException(error.message) from error
    for item in report.to_json(lang)["problems"]:
        click.echo(f"✗ {item['where']}: {item['message']}")
    if not report.ok:
        raise SystemExit(1)
    if lang == "en":
        click.echo(f"✓ {lot}: {report.events} events, log size {report.tree_size}")
    else:
        click.echo(f"✓ {lot}：{report.events} 个事件，日志大小 {report.tree_size}")
    click.echo(f"  key {report.key_id}")


@passport_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign and store a checkpoint of the log and every lot's head now."""
    row = proofs.make_checkpoint()
    db.session.commit()
    click.echo(json.dumps(proofs.signed(row), ensure_ascii=False))


@passport_cli.command("export")
@click.argument("lot")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export(lot: str, output: Path) -> None:
    """Write LOT's export bundle (verify it anywhere with python -m passport.verify_bundle)."""
    try:
        bundle = proofs.export_bundle(lot)
        db.session.commit()
    except DomainError as error:
        raise click.ClickException(error.message) from error
    output.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(str(output))
