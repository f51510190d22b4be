"""API: wanted requests (求购) and producers' answers."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from core.db import db
from core.enums import OrgKind, Role
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.lots import wanted
from marketplace.lots.schemas import (
    WANTED_EXAMPLE,
    WantedAnswerSchema,
    WantedCreateSchema,
    WantedSchema,
)

blp = Blueprint("wanted_api", __name__, url_prefix="/api/v1/wanted", description="求购信息")
WRITERS = [Role.MANAGER, Role.OPERATOR]


@blp.route("", methods=["GET"])
@access()
@blp.response(200, WantedSchema(many=True))
def list_wanted() -> Any:
    """Recyclers: their own requests. Producers: open requests that match their sites and waste."""
    return wanted.visible(require_actor(), today=utcnow().date())


@blp.route("", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
@blp.arguments(WantedCreateSchema, example=WANTED_EXAMPLE)
@blp.response(201, WantedSchema)
def create_wanted(data: dict[str, Any]) -> Any:
    """Post what you want: grade, limits, quantity, period, radius from one of your sites."""
    request = wanted.create(require_actor(), data, now=utcnow())
    db.session.commit()
    return request


@blp.route("/<int:wanted_id>", methods=["GET"])
@access()
@blp.response(200, WantedSchema)
def get_wanted(wanted_id: int) -> Any:
    """One request with the lots offered in answer."""
    return wanted.get(require_actor(), wanted_id, today=utcnow().date())


@blp.route("/<int:wanted_id>/close", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
@blp.response(200, WantedSchema)
def close_wanted(wanted_id: int) -> Any:
    """Close your request."""
    request = wanted.close(require_actor(), wanted_id)
    db.session.commit()
    return request


@blp.route("/<int:wanted_id>/answers", methods=["POST"])
@access(kinds=[OrgKind.PRODUCER, OrgKind.STATION], roles=WRITERS)
@blp.arguments(WantedAnswerSchema)
@blp.response(201, WantedAnswerSchema)
def answer_wanted(data: dict[str, Any], wanted_id: int) -> Any:
    """Offer one of your listed lots in answer to a request."""
    item = wanted.answer(require_actor(), wanted_id, data["lot_id"], today=utcnow().date())
    db.session.commit()
    return item
