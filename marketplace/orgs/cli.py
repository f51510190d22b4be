"""`flask users …`: manage users from the command line (first admin, password resets)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.db import db
from core.enums import Role
from core.errors import DomainError
from core.models import User
from marketplace.orgs import services

users_cli = AppGroup("users", help="管理用户 / Manage users.")


def _fail(err: DomainError) -> None:
    db.session.rollback()
    fields = f" ({', '.join(err.fields)})" if err.fields else ""
    raise click.ClickException(f"{err}{fields}")


@users_cli.command("create")
@click.option("--org", "org_key", required=True, help="organisation id or 统一社会信用代码")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OPERATOR.value)
@click.password_option()
def create(org_key: str, username: str, display_name: str, role: str, password: str) -> None:
    """Create a user in an organisation."""
    try:
        org = services.org_by_key(org_key)
        services.register_user(
            org, username=username, display_name=display_name, role=Role(role), password=password
        )
        db.session.commit()
    except DomainError as err:
        _fail(err)
    click.echo(f"created user {username.lower()} in {org.legal_name}")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password(username: str, password: str) -> None:
    """Reset a user's password."""
    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    try:
        services.set_password(user, password)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"password of {username} changed")


@users_cli.command("list")
def list_users() -> None:
    """List every user with organisation and role."""
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        click.echo(f"{user.id}\t{user.username}\t{user.role}\t{user.organization.legal_name}")
