"""`flask pii export|erase --user NAME`: answer a PIPL request from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from core import security_pii
from core.db import db
from core.errors import DomainError
from core.time import utcnow

pii_cli = AppGroup("pii", help="个人信息：导出或删除（PIPL）")


@pii_cli.command("export")
@click.option("--user", "username", required=True, help="username")
def export(username: str) -> None:
    """Print everything personal held about a user as JSON."""
    try:
        data = security_pii.export_user(username)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@pii_cli.command("erase")
@click.option("--user", "username", required=True, help="username")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def erase(username: str, yes: bool) -> None:
    """Replace a user's personal data with a tombstone (ids, hashes, audit trail stay)."""
    if not yes:
        click.confirm(f"erase personal data of {username}?", abort=True)
    try:
        user = security_pii.erase_user(username, by_user_id=None, now=utcnow())
    except DomainError as err:
        raise click.ClickException(err.message) from None
    db.session.commit()
    click.echo(f"erased user {user.id}")
