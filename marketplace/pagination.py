"""List endpoints answer one page at a time: `{items, page, per_page, total, total_exact,
pages}`."""

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
            "total": fields.Int(
                metadata={"description": "matches; a lower bound when total_exact is false"}
            ),
            "total_exact": fields.Bool(
                metadata={"description": "false when counting stopped at the count limit"}
            ),
            "pages": fields.Int(),
        },
    )


def paginate(
    stmt: sa.Select[Any],
    page: int,
    per_page: int,
    *,
    count_limit: int | None = None,
    counted: sa.Select[Any] | None = None,
) -> dict[str, Any]:
    """Run `stmt` for one page and count the whole result.

    With `count_limit`, counting stops after that many rows (or after the rows up to this
    page, if more): `total` is then a lower bound and `total_exact` false. An exact count
    visits every match, so on a broad market search (tens of thousands of lots) it costs
    several times the page itself, to print a number nobody pages through. `counted` is a
    cheaper select of the same rows to count, when `stmt` has joins only for its ordering.
    """
    offset = (page - 1) * per_page
    counted = (counted if counted is not None else stmt).order_by(None)
    cap = None
    if count_limit is not None:
        cap = max(count_limit, offset + per_page)
        counted = counted.limit(cap + 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted.subquery())) or 0
    exact = cap is None or total <= cap
    if not exact:
        total = cap
    items = db.session.scalars(stmt.limit(per_page).offset(offset)).all()
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "total_exact": exact,
        "pages": math.ceil(total / per_page),
    }
