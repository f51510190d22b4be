"""API: organisations, their sites and users."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from core.db import db
from core.enums import OrgKind, Role
from marketplace.access import access, require_actor
from marketplace.orgs import services
from marketplace.orgs.schemas import (
    OrganizationSchema,
    OrganizationUpdateSchema,
    OrgListArgs,
    SiteSchema,
    UserSchema,
)
from marketplace.pagination import page_of, paginate

blp = Blueprint(
    "orgs_api", __name__, url_prefix="/api/v1/organizations", description="组织、场地与用户"
)
MANAGERS = [Role.MANAGER]


@blp.route("", methods=["GET"])
@access()
@blp.arguments(OrgListArgs, location="query")
@blp.response(200, page_of(OrganizationSchema))
def list_organizations(args: dict[str, Any]) -> Any:
    """Organisations the caller may see: all for government and admin, otherwise its own."""
    stmt = services.organizations_query(require_actor(), args["kind"])
    return paginate(stmt, args["page"], args["per_page"])


@blp.route("", methods=["POST"])
@access(kinds=[OrgKind.ADMIN])
@blp.arguments(OrganizationSchema)
@blp.response(201, OrganizationSchema)
def create_organization(data: dict[str, Any]) -> Any:
    """Register an organisation (platform admin)."""
    org = services.create_organization(require_actor(), data)
    db.session.commit()
    return org


@blp.route("/<int:org_id>", methods=["GET"])
@access()
@blp.response(200, OrganizationSchema)
def get_organization(org_id: int) -> Any:
    """One organisation with its sites."""
    return services.get_organization(require_actor(), org_id)


@blp.route("/<int:org_id>", methods=["PATCH"])
@access(roles=MANAGERS)
@blp.arguments(OrganizationUpdateSchema(partial=True))
@blp.response(200, OrganizationSchema)
def update_organization(data: dict[str, Any], org_id: int) -> Any:
    """Change an organisation's profile (its managers, or admin)."""
    org = services.update_organization(require_actor(), org_id, data)
    db.session.commit()
    return org


@blp.route("/<int:org_id>/sites", methods=["POST"])
@access(roles=[Role.MANAGER, Role.OPERATOR])
@blp.arguments(SiteSchema)
@blp.response(201, SiteSchema)
def add_site(data: dict[str, Any], org_id: int) -> Any:
    """Add a site to an organisation."""
    site = services.add_site(require_actor(), org_id, data)
    db.session.commit()
    return site


@blp.route("/<int:org_id>/users", methods=["GET"])
@access(roles=MANAGERS)
@blp.response(200, UserSchema(many=True))
def list_users(org_id: int) -> Any:
    """An organisation's users (its managers, or admin)."""
    return services.list_users(require_actor(), org_id)


@blp.route("/<int:org_id>/users", methods=["POST"])
@access(roles=MANAGERS)
@blp.arguments(UserSchema)
@blp.response(201, UserSchema)
def create_user(data: dict[str, Any], org_id: int) -> Any:
    """Add a user to an organisation (its managers, or admin)."""
    user = services.create_user(require_actor(), org_id, data)
    db.session.commit()
    return user
