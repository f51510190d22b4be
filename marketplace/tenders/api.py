"""API: service requests (服务询价), quotes and their revisions, the award, completion, ratings."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from core.db import db
from core.enums import OrgKind, Role
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.tenders import awards, services
from marketplace.tenders.schemas import (
    REQUEST_EXAMPLE,
    AwardCreateSchema,
    AwardSchema,
    ProviderRatingSchema,
    QuoteCreateSchema,
    QuoteSchema,
    RankedQuoteSchema,
    RatingCreateSchema,
    RatingSchema,
    RequestArgs,
    RequestCreateSchema,
    RequestSchema,
)

blp = Blueprint(
    "tenders_api", __name__, url_prefix="/api/v1", description="服务询价（运输、处置反向竞价）"
)
REQUESTERS = [OrgKind.PRODUCER, OrgKind.STATION]
PROVIDERS = [OrgKind.LOGISTICS, OrgKind.RECYCLER]
WRITERS = [Role.MANAGER, Role.OPERATOR]


@blp.route("/service-requests", methods=["GET"])
@access()
@blp.arguments(RequestArgs, location="query")
@blp.response(200, RequestSchema(many=True))
def list_requests(args: dict[str, Any]) -> Any:
    """Requesters: my requests. Providers: open requests I may quote on (or, with `quoted`,
    those I have quoted on). Cluster readers: all."""
    actor = require_actor()
    if args["quoted"]:
        return services.quoted_by(actor, now=utcnow())
    return services.visible(actor, now=utcnow())


@blp.route("/service-requests", methods=["POST"])
@access(kinds=REQUESTERS, roles=WRITERS)
@blp.arguments(RequestCreateSchema, example=REQUEST_EXAMPLE)
@blp.response(201, RequestSchema)
def create_request(data: dict[str, Any]) -> Any:
    """Publish a request for quotes: transport or disposal, site, grade, quantity, window,
    deadline, budget and pricing basis."""
    actor = require_actor()
    request = services.create_request(actor, data, now=utcnow())
    db.session.commit()
    return services.get_view(actor, request.id, now=utcnow())


@blp.route("/service-requests/<int:request_id>", methods=["GET"])
@access()
@blp.response(200, RequestSchema)
def get_request(request_id: int) -> Any:
    """One request with its standing: providers who quoted, the lowest total, my quote."""
    return services.get_view(require_actor(), request_id, now=utcnow())


@blp.route("/service-requests/<int:request_id>/quotes", methods=["GET"])
@access()
@blp.response(200, RankedQuoteSchema(many=True))
def ranked_quotes(request_id: int) -> Any:
    """The requester's view: every current quote, ranked by price and rating, with names."""
    return awards.ranked_quotes(require_actor(), request_id)


# Requesters may call it too, so that quoting on one's own request is refused by name.
@blp.route("/service-requests/<int:request_id>/quotes", methods=["POST"])
@access(kinds=[*REQUESTERS, *PROVIDERS], roles=WRITERS)
@blp.arguments(QuoteCreateSchema)
@blp.response(201, QuoteSchema)
def submit_quote(data: dict[str, Any], request_id: int) -> Any:
    """Quote, or lower my quote before the deadline (each revision is kept)."""
    quote = services.submit_quote(require_actor(), request_id, data, now=utcnow())
    db.session.commit()
    return quote


@blp.route("/service-requests/<int:request_id>/my-quotes", methods=["GET"])
@access(kinds=PROVIDERS)
@blp.response(200, QuoteSchema(many=True))
def my_quote_history(request_id: int) -> Any:
    """My organisation's revisions on a request, newest (current) first."""
    actor = require_actor()
    services.get_view(actor, request_id, now=utcnow())
    return services.history(request_id, actor.org_id)


@blp.route("/service-requests/<int:request_id>/award", methods=["POST"])
@access(kinds=REQUESTERS, roles=WRITERS)
@blp.arguments(AwardCreateSchema)
@blp.response(201, AwardSchema)
def choose_quote(data: dict[str, Any], request_id: int) -> Any:
    """Choose any current, valid quote (not only the top-ranked): the service award."""
    award = awards.choose(require_actor(), request_id, data["quote_id"], now=utcnow())
    db.session.commit()
    return award


@blp.route("/service-requests/<int:request_id>/cancel", methods=["POST"])
@access(kinds=REQUESTERS, roles=WRITERS)
@blp.response(200, RequestSchema)
def cancel_request(request_id: int) -> Any:
    """Cancel an open request."""
    actor = require_actor()
    awards.cancel(actor, request_id, now=utcnow())
    db.session.commit()
    return services.get_view(actor, request_id, now=utcnow())


@blp.route("/service-requests/<int:request_id>/complete", methods=["POST"])
@access(kinds=REQUESTERS, roles=WRITERS)
@blp.response(200, AwardSchema)
def complete_service(request_id: int) -> Any:
    """Confirm the chosen service was done (then it can be rated)."""
    award = awards.complete(require_actor(), request_id, now=utcnow())
    db.session.commit()
    return award


@blp.route("/service-requests/<int:request_id>/rating", methods=["POST"])
@access(kinds=REQUESTERS, roles=WRITERS)
@blp.arguments(RatingCreateSchema)
@blp.response(201, RatingSchema)
def rate_service(data: dict[str, Any], request_id: int) -> Any:
    """Rate the provider of a completed service, 1–5 stars, once."""
    rating = awards.rate(require_actor(), request_id, data["stars"], data["comment"], now=utcnow())
    db.session.commit()
    return rating


@blp.route("/service-providers/<int:org_id>/rating", methods=["GET"])
@access()
@blp.response(200, ProviderRatingSchema)
def provider_rating(org_id: int) -> Any:
    """A provider's rating: mean stars and count (mean is null until it has one)."""
    return {"organization_id": org_id, "rating": awards.rating_of(org_id)}
