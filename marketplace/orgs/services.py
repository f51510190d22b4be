"""Use cases for organisations, sites and users. Callers pass the actor and commit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import audit, auth
from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Conflict, Invalid, NotFound
from core.i18n import N_
from core.models import Organization, Park, Site, User


def organizations_query(actor: Actor, kind: OrgKind | None = None) -> sa.Select[Any]:
    """Cluster-wide readers see every organisation; everyone else sees their own."""
    stmt = sa.select(Organization).order_by(Organization.id)
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(Organization.id == actor.org_id)
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    return stmt


def get_organization(actor: Actor, org_id: int) -> Organization:
    """One organisation the actor may read."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound("组织不存在")
    auth.require_read_org(actor, org.id)
    return org


def _check_unique(
    model: type[Any], field: str, value: Any, exclude_id: int | None, message: str
) -> None:
    stmt = sa.select(model.id).where(getattr(model, field) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict(message, {field: "already exists"})


def _check_park(park_id: int | None) -> None:
    if park_id is not None and db.session.get(Park, park_id) is None:
        raise Invalid("园区不存在", {"park_id": "unknown park"})


def create_organization(actor: Actor, data: dict[str, Any]) -> Organization:
    """Register an organisation (platform admin only)."""
    auth.require_admin(actor, "organization:new")
    _check_unique(Organization, "uscc", data["uscc"], None, N_("统一社会信用代码已存在"))
    _check_unique(Organization, "legal_name", data["legal_name"], None, N_("企业名称已存在"))
    _check_park(data.get("park_id"))
    org = Organization(**data)
    db.session.add(org)
    db.session.flush()
    audit.record(
        "organization.created",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"organization:{org.id}",
    )
    return org


def update_organization(actor: Actor, org_id: int, data: dict[str, Any]) -> Organization:
    """Change an organisation's profile (its managers, or admin)."""
    org = get_organization(actor, org_id)
    auth.require_write_org(actor, org.id, manager=True)
    if "legal_name" in data:
        _check_unique(Organization, "legal_name", data["legal_name"], org.id, N_("企业名称已存在"))
    _check_park(data.get("park_id"))
    for key, value in data.items():
        setattr(org, key, value)
    return org


def add_site(actor: Actor, org_id: int, data: dict[str, Any]) -> Site:
    """Add a site (plant, yard, depot) to an organisation."""
    org = get_organization(actor, org_id)
    auth.require_write_org(actor, org.id)
    site = Site(organization=org, **data)
    db.session.add(site)
    db.session.flush()
    return site


def list_users(actor: Actor, org_id: int) -> list[User]:
    """An organisation's users: for its managers and the platform admin only (personal data)."""
    org = get_organization(actor, org_id)
    if not actor.is_admin:
        auth.require_write_org(actor, org.id, manager=True, target=f"organization:{org.id}:users")
    return list(org.users)


def register_user(
    org: Organization,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    locale: str = "zh",
) -> User:
    """Create a user in `org` (no permission check: callers check, or are the operator's CLI)."""
    username = username.strip().lower()
    _check_unique(User, "username", username, None, N_("用户名已存在"))
    user = User(
        organization=org,
        username=username,
        display_name=display_name,
        role=role,
        locale=locale,
        password_hash=auth.hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_user(actor: Actor, org_id: int, data: dict[str, Any]) -> User:
    """Add a user to an organisation (its managers, or admin)."""
    org = get_organization(actor, org_id)
    auth.require_write_org(actor, org.id, manager=True, target=f"organization:{org.id}:users")
    user = register_user(org, **data)
    audit.record(
        "user.created",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"user:{user.id}",
    )
    return user


def set_password(user: User, password: str) -> None:
    """Replace a user's password (from the CLI or a reset flow)."""
    user.password_hash = auth.hash_password(password)


def org_by_key(identifier: str) -> Organization:
    """An organisation by id or by 统一社会信用代码 (for the CLI)."""
    if identifier.isdigit():
        org = db.session.get(Organization, int(identifier))
    else:
        org = db.session.scalar(sa.select(Organization).where(Organization.uscc == identifier))
    if org is None:
        raise NotFound("组织不存在")
    return org
