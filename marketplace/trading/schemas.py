"""API schemas for sales, bids and escrow."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from core.units import fen_to_yuan
from marketplace.schema import ID, BaseSchema, decimal_range, max_decimals
from marketplace.trading.auction import SaleMode
from marketplace.trading.certificates import EndUse
from marketplace.trading.models import DisputeKind

YUAN = [decimal_range(0, 100_000_000), max_decimals(2)]


def _yuan(attr: str) -> fields.Function:
    return fields.Function(
        lambda o: str(fen_to_yuan(getattr(o, attr))) if getattr(o, attr) is not None else None
    )


class SaleRulesSchema(BaseSchema):
    mode = fields.Enum(SaleMode, by_value=True, required=True)
    deadline = fields.AwareDateTime(required=True)
    reserve_yuan_per_t = fields.Decimal(
        load_default=None, allow_none=True, allow_nan=False, validate=YUAN
    )
    fixed_price_yuan_per_t = fields.Decimal(
        load_default=None, allow_none=True, allow_nan=False, validate=YUAN
    )
    min_increment_yuan = fields.Decimal(
        load_default=lambda: Decimal(10),  # callable: not rendered as a string default
        allow_nan=False,
        validate=[decimal_range("0.01", 1_000_000), max_decimals(2)],
    )
    deposit_yuan = fields.Decimal(load_default=lambda: Decimal(0), allow_nan=False, validate=YUAN)
    snipe_window_min = fields.Int(load_default=5, validate=validate.Range(min=0, max=120))
    extension_min = fields.Int(load_default=5, validate=validate.Range(min=0, max=120))


class SaleSchema(BaseSchema):
    lot_id = fields.Int()
    mode = fields.Enum(SaleMode, by_value=True)
    deadline = fields.AwareDateTime()
    reserve_yuan_per_t = _yuan("reserve_fen")
    fixed_price_yuan_per_t = _yuan("fixed_price_fen")
    min_increment_yuan = _yuan("min_increment_fen")
    deposit_yuan = _yuan("deposit_fen")
    closed_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.Str()


class BidCreateSchema(BaseSchema):
    amount_yuan_per_t = fields.Decimal(required=True, allow_nan=False, validate=YUAN)
    max_yuan_per_t = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=YUAN,
        metadata={"description": "proxy maximum"},
    )


class BidSchema(BaseSchema):
    id = fields.Int()
    lot_id = fields.Int()
    organization_id = fields.Int()
    amount_yuan_per_t = _yuan("amount_fen")
    lot_version = fields.Int()
    placed_at = fields.AwareDateTime()
    decision = fields.Str(allow_none=True, metadata={"description": "offers: accepted / rejected"})


def _yuan_key(key: str) -> fields.Function:
    return fields.Function(lambda o: str(fen_to_yuan(o[key])) if o[key] is not None else None)


class SaleStateSchema(BaseSchema):
    lot_id = fields.Int()
    mode = fields.Str()
    deadline = fields.AwareDateTime()
    closed = fields.Bool()
    outcome = fields.Str()
    n_bids = fields.Int()
    standing_yuan_per_t = _yuan_key("standing_fen")
    min_next_yuan_per_t = _yuan_key("min_next_fen")
    my_best_yuan_per_t = _yuan_key("my_best_fen")
    my_max_yuan_per_t = _yuan_key("my_max_fen")
    position = fields.Str(
        metadata={
            "description": "none, leading, outbid, placed, pending, accepted, rejected, won, lost"
        }
    )


class TopUpSchema(BaseSchema):
    organization_id = fields.Int(required=True, validate=ID)
    amount_yuan = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.01", 100_000_000), max_decimals(2)],
    )
    reference = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "bank transfer reference"},
    )


class PostingSchema(BaseSchema):
    organization_id = fields.Int(allow_none=True)
    bucket = fields.Str()
    amount_yuan = _yuan("amount_fen")


class EntrySchema(BaseSchema):
    id = fields.Int()
    kind = fields.Str()
    reference = fields.Str()
    created_at = fields.AwareDateTime()
    postings = fields.List(fields.Nested(PostingSchema))


class EscrowSchema(BaseSchema):
    available_yuan = fields.Str()
    held_yuan = fields.Str()
    entries = fields.List(fields.Nested(EntrySchema))


class TradeSchema(BaseSchema):
    id = fields.Int()
    lot_title = fields.Function(lambda t: t.lot.title)
    lot_id = fields.Int()
    buyer_id = fields.Int()
    seller_id = fields.Int()
    status = fields.Str(attribute="status.value")
    price_yuan_per_t = _yuan("price_fen_per_t")
    quantity_kg = fields.Function(lambda t: str(Decimal(t.quantity_g) / 1000))
    lot_version = fields.Int()
    reserved_yuan = _yuan("reserved_fen")
    net_kg = fields.Function(
        lambda t: str(Decimal(t.net_g) / 1000) if t.net_g is not None else None
    )
    settled_yuan = _yuan("settled_fen")
    deduction_yuan = _yuan("deduction_fen")
    refunded_yuan = _yuan("refunded_fen")
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)
    dispute_until = fields.AwareDateTime(allow_none=True)
    settled_at = fields.AwareDateTime(allow_none=True)
    end_use_kind = fields.Str(allow_none=True)
    end_use = fields.Str(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.Str()


class DeliverySchema(BaseSchema):
    net_kg = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 1_000_000), max_decimals(3)],
        metadata={"description": "weighbridge net weight"},
    )
    measured_moisture_pct = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, "99.99"), max_decimals(2)],
    )
    contract_moisture_pct = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, "99.99"), max_decimals(2)],
    )


class IndexArgs(BaseSchema):
    grade = fields.Str(load_default=None, validate=validate.Length(max=24))


class IndexPointSchema(BaseSchema):
    grade = fields.Str()
    week = fields.Date()
    price_yuan_per_t = _yuan("price_fen_per_t")
    volume_t = fields.Function(lambda p: str(Decimal(p.volume_g) / 1_000_000))
    n_trades = fields.Int()


class CancelSchema(BaseSchema):
    reason = fields.Str(required=True, validate=validate.Length(min=2, max=200))


class RefundSchema(BaseSchema):
    amount_yuan = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.01", 100_000_000), max_decimals(2)],
    )
    reason = fields.Str(required=True, validate=validate.Length(min=2, max=200))


class PayoutSchema(BaseSchema):
    amount_yuan = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.01", 100_000_000), max_decimals(2)],
    )
    reference = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "the receiving bank account or transfer reference"},
    )


class DisputeCreateSchema(BaseSchema):
    kind = fields.Enum(DisputeKind, by_value=True, required=True)
    claim_yuan = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.01", 100_000_000), max_decimals(2)],
        metadata={"description": "the deduction the buyer claims"},
    )
    claimed_net_kg = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 1_000_000), max_decimals(3)],
        metadata={"description": "the buyer's own weighbridge net (weight disputes)"},
    )
    description = fields.Str(required=True, validate=validate.Length(min=5, max=1000))


class NoteSchema(BaseSchema):
    note = fields.Str(load_default="", validate=validate.Length(max=500))


class ResolveSchema(BaseSchema):
    deduction_yuan = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, 100_000_000), max_decimals(2)],
    )
    cancel = fields.Bool(load_default=False, metadata={"description": "cancel the trade instead"})
    note = fields.Str(required=True, validate=validate.Length(min=2, max=500))


class DisputeEvidenceSchema(BaseSchema):
    id = fields.Int()
    sha256 = fields.Str()
    content_type = fields.Str()
    size_bytes = fields.Int()
    filename = fields.Str()
    uploaded_at = fields.AwareDateTime()


class DisputeSchema(BaseSchema):
    id = fields.Int()
    trade_id = fields.Int()
    kind = fields.Str(attribute="kind.value")
    status = fields.Str(attribute="status.value")
    claim_yuan = _yuan("claim_fen")
    claimed_net_kg = fields.Function(
        lambda d: str(Decimal(d.claimed_net_g) / 1000) if d.claimed_net_g is not None else None
    )
    description = fields.Str()
    opened_at = fields.AwareDateTime()
    seller_note = fields.Str()
    responded_at = fields.AwareDateTime(allow_none=True)
    decided_yuan = _yuan("decided_fen")
    decision_note = fields.Str()
    decided_at = fields.AwareDateTime(allow_none=True)
    evidence = fields.List(fields.Nested(DisputeEvidenceSchema))


class CloseSchema(BaseSchema):
    end_use_kind = fields.Enum(EndUse, by_value=True, required=True)
    end_use = fields.Str(
        required=True,
        validate=validate.Length(min=2, max=200),
        metadata={"description": "what the material became, e.g. 生产AA级瓦楞原纸"},
    )


class CertificateSchema(BaseSchema):
    number = fields.Str()
    code = fields.Str()
    trade_id = fields.Int()
    issued_at = fields.AwareDateTime()
    sha256 = fields.Str(metadata={"description": "SHA-256 of the RFC 8785 canonical body"})
    body = fields.Dict()
