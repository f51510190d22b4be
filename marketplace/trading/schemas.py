"""API schemas for sales, bids and escrow."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from core.units import fen_to_yuan
from marketplace.schema import BaseSchema, decimal_range, max_decimals
from marketplace.trading.auction import SaleMode

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


class TopUpSchema(BaseSchema):
    organization_id = fields.Int(required=True)
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
    created_at = fields.AwareDateTime()
    settled_at = fields.AwareDateTime(allow_none=True)


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
