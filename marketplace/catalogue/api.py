"""API: the material catalogue."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from core.db import db
from core.enums import OrgKind
from marketplace.access import access, require_actor
from marketplace.catalogue import services
from marketplace.catalogue.schemas import CategoryCreateSchema, CategoryListArgs, CategorySchema
from marketplace.pagination import page_of, paginate

blp = Blueprint(
    "catalogue_api", __name__, url_prefix="/api/v1/categories", description="再生资源品类目录"
)


@blp.route("", methods=["GET"])
@access()
@blp.arguments(CategoryListArgs, location="query")
@blp.response(200, page_of(CategorySchema))
def list_categories(args: dict[str, Any]) -> Any:
    """Families and grades, filterable by family, hazard and name."""
    stmt = services.categories_query(args["family"], args["hazardous"], args["q"])
    return paginate(stmt, args["page"], args["per_page"])


@blp.route("/<code>", methods=["GET"])
@access()
@blp.response(200, CategorySchema)
def get_category(code: str) -> Any:
    """One family or grade by code."""
    return services.get_category(code)


@blp.route("", methods=["POST"])
@access(kinds=[OrgKind.ADMIN])
@blp.arguments(CategoryCreateSchema)
@blp.response(201, CategorySchema)
def create_category(data: dict[str, Any]) -> Any:
    """Add a family or grade (platform admin)."""
    cat = services.create_category(require_actor(), data)
    db.session.commit()
    return cat


@blp.route("/<code>", methods=["PATCH"])
@access(kinds=[OrgKind.ADMIN])
@blp.arguments(CategorySchema(partial=True))
@blp.response(200, CategorySchema)
def update_category(data: dict[str, Any], code: str) -> Any:
    """Change a category (platform admin)."""
    cat = services.update_category(require_actor(), code, data)
    db.session.commit()
    return cat
