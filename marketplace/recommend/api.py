"""API: recommended lots for the signed-in recycler, recommended buyers for one's own lot.

Each item has its calibrated P(bid) as `score` (null in the fallback) and its reasons in words;
the list says how it was ranked (`method`: model | fallback) and by which `model_version`.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields, validate

from core.db import db
from core.enums import OrgKind
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.recommend import services
from marketplace.schema import BaseSchema

blp = Blueprint("recommend_api", __name__, url_prefix="/api/v1", description="智能推荐")
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]


class KArgs(BaseSchema):
    k = fields.Int(load_default=10, validate=validate.Range(1, services.MAX_K))


class ReasonSchema(BaseSchema):
    code = fields.Str()
    text = fields.Str()


class LotItemSchema(BaseSchema):
    lot_id = fields.Function(lambda i: i.id)
    title = fields.Function(lambda i: i.row.title)
    grade = fields.Function(lambda i: i.row.category.code)
    quantity_t = fields.Function(lambda i: f"{i.row.quantity_g / 1_000_000:.3f}")
    score = fields.Float(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))
    impression_id = fields.Int(allow_none=True)


class BuyerItemSchema(BaseSchema):
    organization_id = fields.Function(lambda i: i.id)
    name = fields.Function(lambda i: i.row.legal_name)
    score = fields.Float(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class LotListSchema(BaseSchema):
    method = fields.Str()
    model_version = fields.Int(allow_none=True)
    note = fields.Str()
    items = fields.List(fields.Nested(LotItemSchema))


class BuyerListSchema(LotListSchema):
    items = fields.List(fields.Nested(BuyerItemSchema))


@blp.route("/recommendations/lots", methods=["GET"])
@access(kinds=[OrgKind.RECYCLER])
@blp.arguments(KArgs, location="query")
@blp.response(200, LotListSchema)
def recommended_lots(args: dict[str, Any]) -> Any:
    """Open lots for my recycler, best first, each with P(bid) and why; recorded as shown."""
    result = services.recommend_lots(require_actor(), args["k"], now=utcnow(), surface="api")
    db.session.commit()
    return result


@blp.route("/lots/<int:lot_id>/recommended-buyers", methods=["GET"])
@access(kinds=SELLERS)
@blp.arguments(KArgs, location="query")
@blp.response(200, BuyerListSchema)
def recommended_buyers(args: dict[str, Any], lot_id: int) -> Any:
    """Recyclers that may take my listed lot, most likely bidder first, each with why."""
    result = services.recommend_buyers(
        require_actor(), lot_id, args["k"], now=utcnow(), surface="lot-page"
    )
    db.session.commit()
    return result
