"""API schemas for service requests, quotes, awards and ratings (money in yuan at the edge)."""

from __future__ import annotations

from marshmallow import fields, validate

from core.units import fen_to_yuan, grams_to_kg
from marketplace.lots.schemas import HW
from marketplace.schema import ID, BaseSchema, decimal_range, max_decimals
from marketplace.tenders.lifecycle import ServiceStatus
from marketplace.tenders.quoting import Basis, ServiceKind

PRICE = [decimal_range("0.01", 100_000_000), max_decimals(2)]


def _yuan(fen: int | None) -> str | None:
    return str(fen_to_yuan(fen)) if fen is not None else None


def _tonnes(grams: int) -> str:
    return format((grams_to_kg(grams) / 1000).normalize(), "f")


class RequestCreateSchema(BaseSchema):
    kind = fields.Enum(ServiceKind, by_value=True, required=True)
    site_id = fields.Int(required=True, validate=ID)
    grade = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=24),
        metadata={"description": "catalogue grade; defaults to the lot's"},
    )
    lot_id = fields.Int(load_default=None, allow_none=True, validate=ID)
    quantity_t = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 100_000), max_decimals(3)],
        metadata={"description": "defaults to the lot's quantity"},
    )
    hw_codes = fields.List(
        fields.Str(validate=HW),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=10),
        metadata={"description": "defaults to the lot's, else every code of the grade"},
    )
    window_start = fields.Date(required=True, metadata={"description": "preferred service window"})
    window_end = fields.Date(required=True)
    description = fields.Str(load_default="", validate=validate.Length(max=2000))
    deadline = fields.AwareDateTime(required=True, metadata={"description": "quote deadline"})
    basis = fields.Enum(Basis, by_value=True, load_default=Basis.PER_TONNE)
    budget_yuan = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=PRICE,
        metadata={"description": "maximum, on the request's basis"},
    )


REQUEST_EXAMPLE = {
    "kind": "transport",
    "site_id": 3,
    "grade": "PA-OCC",
    "quantity_t": "12.5",
    "window_start": "2026-12-08",
    "window_end": "2026-12-10",
    "description": "25 包，叉车装货，送麻涌纸厂",
    "deadline": "2026-12-05T10:00:00+08:00",
    "basis": "per_tonne",
    "budget_yuan": "120.00",
}


class QuoteCreateSchema(BaseSchema):
    price_yuan = fields.Decimal(required=True, allow_nan=False, validate=PRICE)
    basis = fields.Enum(Basis, by_value=True, required=True)
    earliest_date = fields.Date(required=True, metadata={"description": "earliest service date"})
    valid_until = fields.Date(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=500))


class QuoteSchema(BaseSchema):
    id = fields.Int()
    request_id = fields.Int()
    organization_id = fields.Int()
    organization_name = fields.Str(attribute="organization.legal_name")
    revision = fields.Int()
    price_yuan = fields.Function(lambda q: _yuan(q.price_fen))
    basis = fields.Enum(Basis, by_value=True)
    total_yuan = fields.Function(lambda q: _yuan(q.total_fen))
    earliest_date = fields.Date()
    valid_until = fields.Date()
    note = fields.Str()
    created_at = fields.AwareDateTime()


class RatingSummarySchema(BaseSchema):
    mean = fields.Function(lambda r: str(r.mean) if r.mean is not None else None)
    count = fields.Int()


class RankedQuoteSchema(BaseSchema):
    rank = fields.Int(attribute="ranked.rank")
    score = fields.Function(lambda r: str(r.ranked.score))
    price_score = fields.Function(lambda r: str(r.ranked.price_score))
    rating_score = fields.Function(lambda r: str(r.ranked.rating_score))
    quote = fields.Nested(QuoteSchema)
    rating = fields.Nested(RatingSummarySchema)


class RatingCreateSchema(BaseSchema):
    stars = fields.Int(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.Str(load_default="", validate=validate.Length(max=500))


class RatingSchema(BaseSchema):
    id = fields.Int()
    award_id = fields.Int()
    provider_id = fields.Int()
    stars = fields.Int()
    comment = fields.Str()
    created_at = fields.AwareDateTime()


class AwardCreateSchema(BaseSchema):
    quote_id = fields.Int(required=True, validate=ID)


class AwardSchema(BaseSchema):
    id = fields.Int()
    request_id = fields.Int()
    quote_id = fields.Int()
    provider_id = fields.Int()
    provider_name = fields.Str(attribute="provider.legal_name")
    requester_id = fields.Int()
    price_yuan = fields.Function(lambda a: _yuan(a.price_fen))
    basis = fields.Enum(Basis, by_value=True)
    total_yuan = fields.Function(lambda a: _yuan(a.total_fen))
    awarded_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    rating = fields.Nested(RatingSchema, allow_none=True)


class RequestSchema(BaseSchema):
    """A request as the reader sees it (`status` is effective: `expired` is derived)."""

    id = fields.Int(attribute="request.id")
    organization_id = fields.Int(attribute="request.organization_id")
    organization_name = fields.Str(attribute="request.organization.legal_name")
    kind = fields.Function(lambda v: v.request.kind.value)
    status = fields.Enum(ServiceStatus, by_value=True)
    site_id = fields.Int(attribute="request.site_id")
    site_name = fields.Str(attribute="request.site.name")
    grade = fields.Str(attribute="request.category.code")
    grade_name = fields.Str(attribute="request.category.name_zh")
    lot_id = fields.Int(attribute="request.lot_id", allow_none=True)
    quantity_t = fields.Function(lambda v: _tonnes(v.request.quantity_g))
    hw_codes = fields.List(fields.Str(), attribute="request.hw_codes")
    window_start = fields.Date(attribute="request.window_start")
    window_end = fields.Date(attribute="request.window_end")
    description = fields.Str(attribute="request.description")
    deadline = fields.AwareDateTime(attribute="request.deadline")
    basis = fields.Function(lambda v: v.request.basis.value)
    budget_yuan = fields.Function(lambda v: _yuan(v.request.budget_fen))
    created_at = fields.AwareDateTime(attribute="request.created_at")
    n_providers = fields.Int(metadata={"description": "providers who have quoted"})
    lowest_total_yuan = fields.Function(
        lambda v: _yuan(v.lowest_total_fen),
        metadata={"description": "the current lowest total, without who offered it"},
    )
    my_quote = fields.Nested(QuoteSchema, allow_none=True)
    award = fields.Nested(AwardSchema, attribute="request.award", allow_none=True)


class RequestArgs(BaseSchema):
    quoted = fields.Bool(
        load_default=False,
        metadata={"description": "providers: the requests I have quoted on, not the open ones"},
    )


class ProviderRatingSchema(BaseSchema):
    organization_id = fields.Int()
    mean = fields.Function(
        lambda r: str(r["rating"].mean) if r["rating"].mean is not None else None
    )
    count = fields.Function(lambda r: r["rating"].count)
