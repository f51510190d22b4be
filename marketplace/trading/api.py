"""API: sale rules, bids (race-free, idempotent), closing, and the escrow account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_smorest import Blueprint

from core import audit
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid
from core.time import utcnow
from core.units import fen_to_yuan, kg_to_grams, yuan_to_fen
from marketplace.access import access, require_actor
from marketplace.lots import services as lots
from marketplace.trading import escrow, ledger, services, trades
from marketplace.trading.index import weekly
from marketplace.trading.models import Trade
from marketplace.trading.schemas import (
    BidCreateSchema,
    BidSchema,
    DeliverySchema,
    EntrySchema,
    EscrowSchema,
    IndexArgs,
    IndexPointSchema,
    SaleRulesSchema,
    SaleSchema,
    TopUpSchema,
    TradeSchema,
)

blp = Blueprint("trading_api", __name__, url_prefix="/api/v1", description="竞价、成交与资金托管")
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 80:
        raise Invalid("Idempotency-Key 长度应为 1–80", {"Idempotency-Key": "1–80 characters"})
    return key


@blp.route("/lots/<int:lot_id>/sale", methods=["PUT"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.arguments(SaleRulesSchema)
@blp.response(200, SaleSchema)
def set_sale(data: dict[str, Any], lot_id: int) -> Any:
    """Set how a listed lot is sold (mode, deadline, reserve, increment, deposit)."""
    sale = services.set_sale(require_actor(), lot_id, data, now=utcnow())
    db.session.commit()
    return sale


@blp.route("/lots/<int:lot_id>/bids", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
@blp.arguments(BidCreateSchema)
@blp.response(201, BidSchema)
def place_bid(data: dict[str, Any], lot_id: int) -> Any:
    """Bid (send an `Idempotency-Key` header to make retries safe)."""
    bid = services.place_bid(
        require_actor(),
        lot_id,
        data["amount_yuan_per_t"],
        data["max_yuan_per_t"],
        now=utcnow(),
        key=idempotency_key(),
    )
    db.session.commit()
    return bid


@blp.route("/lots/<int:lot_id>/bids", methods=["GET"])
@access()
@blp.response(200, BidSchema(many=True))
def list_bids(lot_id: int) -> Any:
    """Bids on a lot; sealed bids stay hidden from other bidders until close."""
    actor = require_actor()
    lots.get_lot(actor, lot_id)
    return services.visible_bids(actor, lot_id)


@blp.route("/lots/<int:lot_id>/close", methods=["POST"])
@access(kinds=[*SELLERS, OrgKind.ADMIN], roles=WRITERS)
@blp.response(200, SaleSchema)
def close_sale(lot_id: int) -> Any:
    """Close a sale past its deadline now (the scheduled job does the same for every lot)."""
    actor = require_actor()
    lots.get_lot(actor, lot_id)
    sale = services.close_sale(lot_id, now=utcnow())
    db.session.commit()
    return sale


@blp.route("/escrow", methods=["GET"])
@access()
@blp.response(200, EscrowSchema)
def my_escrow() -> Any:
    """My organisation's available and held balances and recent entries."""
    actor = require_actor()
    bal = escrow.balances(actor.org_id)
    return {
        "available_yuan": str(fen_to_yuan(bal["available"])),
        "held_yuan": str(fen_to_yuan(bal["held"])),
        "entries": escrow.entries(actor.org_id),
    }


@blp.route("/escrow/top-ups", methods=["POST"])
@access(kinds=[OrgKind.ADMIN], roles=WRITERS)
@blp.arguments(TopUpSchema)
@blp.response(201, EntrySchema)
def top_up(data: dict[str, Any]) -> Any:
    """Record money received for an organisation (platform operator, after the bank confirms)."""
    actor = require_actor()
    from core.models import Organization

    if db.session.get(Organization, data["organization_id"]) is None:
        raise Invalid("组织不存在", {"organization_id": "unknown"})
    entry = escrow.post(
        ledger.top_up(data["organization_id"], yuan_to_fen(data["amount_yuan"])),
        reference=data["reference"],
        key=idempotency_key(),
        user_id=actor.user_id,
    )
    audit.record(
        "escrow.top_up",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"organization:{data['organization_id']}",
        entry=entry.id,
    )
    db.session.commit()
    return entry


@blp.route("/trades", methods=["GET"])
@access()
@blp.response(200, TradeSchema(many=True))
def my_trades() -> Any:
    """Trades my organisation buys or sells (all of them for cluster readers)."""
    actor = require_actor()
    stmt = sa.select(Trade).order_by(Trade.id.desc()).limit(200)
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(sa.or_(Trade.buyer_id == actor.org_id, Trade.seller_id == actor.org_id))
    return db.session.scalars(stmt).all()


def _step(trade_id: int, step: Any, **kwargs: Any) -> Any:
    trade = step(require_actor(), trade_id, now=utcnow(), **kwargs)
    db.session.commit()
    return trade


@blp.route("/trades/<int:trade_id>/schedule", methods=["POST"])
@access(kinds=[*SELLERS, OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.response(200, TradeSchema)
def schedule_pickup(trade_id: int) -> Any:
    """Schedule the pickup; refused while the buyer's escrow is below the pre-settlement amount."""
    return _step(trade_id, trades.schedule_pickup)


@blp.route("/trades/<int:trade_id>/picked-up", methods=["POST"])
@access(kinds=[*SELLERS, OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.response(200, TradeSchema)
def confirm_pickup(trade_id: int) -> Any:
    """The material has left the seller's site."""
    return _step(trade_id, trades.confirm_pickup)


@blp.route("/trades/<int:trade_id>/delivered", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.arguments(DeliverySchema)
@blp.response(200, TradeSchema)
def confirm_delivery(data: dict[str, Any], trade_id: int) -> Any:
    """The buyer records the weighbridge net weight (and moisture for paper)."""
    return _step(
        trade_id,
        trades.confirm_delivery,
        net_g=kg_to_grams(data["net_kg"]),
        measured_moisture=data["measured_moisture_pct"],
        contract_moisture=data["contract_moisture_pct"],
    )


@blp.route("/trades/<int:trade_id>/settle", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.response(200, TradeSchema)
def settle(trade_id: int) -> Any:
    """Pay the seller from escrow on the weighed quantity."""
    return _step(trade_id, trades.settle)


@blp.route("/price-index", methods=["GET"])
@access()
@blp.arguments(IndexArgs, location="query")
@blp.response(200, IndexPointSchema(many=True))
def price_index(args: dict[str, Any]) -> Any:
    """Weekly regional price index per grade: volume-weighted median of settled trades (CNY/t)."""
    return weekly(services.cleared(args["grade"], current_app.config["TIMEZONE"]))
