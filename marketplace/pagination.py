"""List endpoints answer one page at a time: `{items, page, per_page, total, pages}`."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from core.db import db
from marketplace.schema import BaseSchema


class PageArgs(BaseSchema):
    """Query arguments every list endpoint accepts."""

    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Int(load_default=20, validate=validate.Range(min=1, max=100))


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The envelope schema for pages of `item_schema` (one class per item schema, for OpenAPI)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Int(),
            "per_page": fields.Int(),
            "total": fields.Int(),
            "pages": fields.Int(),
        },
    )


def paginate(stmt: sa.Select[Any], page: int, per_page: int) -> dict[str, Any]:
    """Run `stmt` for one page and count the whole result."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total or 0,
        "pages": math.ceil((total or 0) / per_page),
    }
