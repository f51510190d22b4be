"""API: sale rules, bids (race-free, idempotent), closing, and the escrow account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_smorest import Blueprint

from core import audit
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid, NotFound
from core.time import utcnow
from core.units import fen_to_yuan, yuan_to_fen
from marketplace.access import access, require_actor
from marketplace.lots import services as lots
from marketplace.trading import escrow, ledger, prices, services
from marketplace.trading.index import weekly
from marketplace.trading.models import Sale
from marketplace.trading.schemas import (
    BidCreateSchema,
    BidSchema,
    EntrySchema,
    EscrowSchema,
    IndexArgs,
    IndexPointSchema,
    PayoutSchema,
    SaleRulesSchema,
    SaleSchema,
    SaleStateSchema,
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


@blp.route("/lots/<int:lot_id>/sale", methods=["GET"])
@access()
@blp.response(200, SaleStateSchema)
def sale_state(lot_id: int) -> Any:
    """The live state of a lot's sale (poll it): deadline, bids, standing price, my position."""
    actor = require_actor()
    lots.get_lot(actor, lot_id)
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id))
    if sale is None:
        raise NotFound("该批次未开放竞价")
    return services.sale_state(actor, sale)


@blp.route("/lots/<int:lot_id>/bids/<int:bid_id>/accept", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.response(200, TradeSchema)
def accept_offer(lot_id: int, bid_id: int) -> Any:
    """Accept a buyer's latest offer (offers sales): the trade is made at that price."""
    trade = services.accept_offer(require_actor(), lot_id, bid_id, now=utcnow())
    db.session.commit()
    return trade


@blp.route("/lots/<int:lot_id>/bids/<int:bid_id>/reject", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.response(200, BidSchema)
def reject_offer(lot_id: int, bid_id: int) -> Any:
    """Decline an offer; the buyer may offer again, higher."""
    bid = services.reject_offer(require_actor(), lot_id, bid_id, now=utcnow())
    db.session.commit()
    return bid


@blp.route("/bids/mine", methods=["GET"])
@access(kinds=[OrgKind.RECYCLER])
@blp.response(200, SaleStateSchema(many=True))
def my_bids() -> Any:
    """The lots my organisation has bid on, with where I stand on each."""
    return [row["state"] for row in services.my_bids(require_actor())]


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


@blp.route("/escrow/payouts", methods=["POST"])
@access(roles=[Role.MANAGER])
@blp.arguments(PayoutSchema)
@blp.response(201, EntrySchema)
def payout(data: dict[str, Any]) -> Any:
    """Withdraw available money to the organisation's bank account (send an `Idempotency-Key`)."""
    entry = escrow.payout(
        require_actor(), yuan_to_fen(data["amount_yuan"]), data["reference"], idempotency_key()
    )
    db.session.commit()
    return entry


@blp.route("/price-index", methods=["GET"])
@access()
@blp.arguments(IndexArgs, location="query")
@blp.response(200, IndexPointSchema(many=True))
def price_index(args: dict[str, Any]) -> Any:
    """Weekly regional price index per grade: volume-weighted median of settled trades (CNY/t)."""
    return weekly(prices.cleared(args["grade"], current_app.config["TIMEZONE"]))
