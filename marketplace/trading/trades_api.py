"""API after the award: pickup, delivery, settlement, cancellation, refunds, disputes, closing
with the end use, and certificates of recycling (public by their code)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid, NotFound
from core.time import utcnow
from core.units import kg_to_grams, yuan_to_fen
from marketplace.access import access, require_actor
from marketplace.lots.store import evidence_store
from marketplace.trading import certificates, disputes, trades
from marketplace.trading.certificate_pdf import render
from marketplace.trading.models import Trade
from marketplace.trading.schemas import (
    CancelSchema,
    CertificateSchema,
    CloseSchema,
    DeliverySchema,
    DisputeCreateSchema,
    DisputeEvidenceSchema,
    DisputeSchema,
    NoteSchema,
    RefundSchema,
    ResolveSchema,
    TradeSchema,
)

blp = Blueprint("trades_api", __name__, url_prefix="/api/v1", description="成交履约、争议与证明")
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
PARTIES = [*SELLERS, OrgKind.RECYCLER, OrgKind.ADMIN]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def dispute_window() -> timedelta:
    return timedelta(hours=float(current_app.config["DISPUTE_WINDOW_HOURS"]))


def trades_for(actor: Any, limit: int = 200) -> list[Trade]:
    """Trades my organisation buys or sells (all of them for cluster readers), newest first."""
    stmt = sa.select(Trade).options(selectinload(Trade.lot)).order_by(Trade.id.desc()).limit(limit)
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(sa.or_(Trade.buyer_id == actor.org_id, Trade.seller_id == actor.org_id))
    return list(db.session.scalars(stmt))


@blp.route("/trades", methods=["GET"])
@access()
@blp.response(200, TradeSchema(many=True))
def my_trades() -> Any:
    """Trades my organisation buys or sells (all of them for cluster readers)."""
    return trades_for(require_actor())


@blp.route("/trades/<int:trade_id>", methods=["GET"])
@access()
@blp.response(200, TradeSchema)
def get_trade(trade_id: int) -> Any:
    """One trade."""
    return trades.get_trade(require_actor(), trade_id)


def _step(trade_id: int, step: Any, **kwargs: Any) -> Any:
    trade = step(require_actor(), trade_id, now=utcnow(), **kwargs)
    db.session.commit()
    return trade


@blp.route("/trades/<int:trade_id>/schedule", methods=["POST"])
@access(kinds=PARTIES, roles=WRITERS)
@blp.response(200, TradeSchema)
def schedule_pickup(trade_id: int) -> Any:
    """Schedule the pickup; refused while the buyer's escrow is below the pre-settlement amount."""
    return _step(trade_id, trades.schedule_pickup)


@blp.route("/trades/<int:trade_id>/picked-up", methods=["POST"])
@access(kinds=PARTIES, roles=WRITERS)
@blp.response(200, TradeSchema)
def confirm_pickup(trade_id: int) -> Any:
    """The material has left the seller's site."""
    return _step(trade_id, trades.confirm_pickup)


@blp.route("/trades/<int:trade_id>/delivered", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.arguments(DeliverySchema)
@blp.response(200, TradeSchema)
def confirm_delivery(data: dict[str, Any], trade_id: int) -> Any:
    """The buyer records the weighbridge net weight (and moisture for paper); the dispute
    window starts."""
    return _step(
        trade_id,
        trades.confirm_delivery,
        net_g=kg_to_grams(data["net_kg"]),
        measured_moisture=data["measured_moisture_pct"],
        contract_moisture=data["contract_moisture_pct"],
        window=dispute_window(),
    )


@blp.route("/trades/<int:trade_id>/settle", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.response(200, TradeSchema)
def settle(trade_id: int) -> Any:
    """The buyer accepts the delivery as weighed: the seller is paid from escrow."""
    return _step(trade_id, trades.settle)


@blp.route("/trades/<int:trade_id>/cancel", methods=["POST"])
@access(kinds=PARTIES, roles=WRITERS)
@blp.arguments(CancelSchema)
@blp.response(200, TradeSchema)
def cancel(data: dict[str, Any], trade_id: int) -> Any:
    """Call off a trade before pickup (a buyer who cancels forfeits its deposit)."""
    return _step(trade_id, trades.cancel, reason=data["reason"])


@blp.route("/trades/<int:trade_id>/refunds", methods=["POST"])
@access(kinds=[OrgKind.ADMIN], roles=WRITERS)
@blp.arguments(RefundSchema)
@blp.response(200, TradeSchema)
def refund(data: dict[str, Any], trade_id: int) -> Any:
    """Return part of a settled trade's money from the seller to the buyer (platform only)."""
    return _step(
        trade_id, trades.refund, amount=yuan_to_fen(data["amount_yuan"]), reason=data["reason"]
    )


@blp.route("/trades/<int:trade_id>/close", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
@blp.arguments(CloseSchema)
@blp.response(201, CertificateSchema)
def close_trade(data: dict[str, Any], trade_id: int) -> Any:
    """The buyer confirms the end use: the trade closes and its certificate of recycling is
    issued."""
    cert = certificates.close(
        require_actor(),
        trade_id,
        data["end_use_kind"],
        data["end_use"],
        now=utcnow(),
        tz=current_app.config["TIMEZONE"],
    )
    db.session.commit()
    return cert


@blp.route("/trades/<int:trade_id>/disputes", methods=["POST"])
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
@blp.arguments(DisputeCreateSchema)
@blp.response(201, DisputeSchema)
def open_dispute(data: dict[str, Any], trade_id: int) -> Any:
    """Claim a deduction on arrival, within the dispute window; settlement waits."""
    dispute = disputes.open_dispute(
        require_actor(),
        trade_id,
        data["kind"],
        yuan_to_fen(data["claim_yuan"]),
        data["description"],
        claimed_net_g=kg_to_grams(data["claimed_net_kg"])
        if data["claimed_net_kg"] is not None
        else None,
        now=utcnow(),
    )
    db.session.commit()
    return dispute


@blp.route("/disputes", methods=["GET"])
@access()
@blp.response(200, DisputeSchema(many=True))
def list_disputes() -> Any:
    """Disputes my organisation is party to (all for the platform and cluster readers)."""
    return [d for d, _ in disputes.for_actor(require_actor())]


@blp.route("/disputes/<int:dispute_id>", methods=["GET"])
@access()
@blp.response(200, DisputeSchema)
def get_dispute(dispute_id: int) -> Any:
    """One dispute with its evidence."""
    return disputes.get_dispute(require_actor(), dispute_id)[0]


@blp.route("/disputes/<int:dispute_id>/evidence", methods=["POST"])
@access(kinds=PARTIES, roles=WRITERS)
@blp.response(201, DisputeEvidenceSchema)
def add_evidence(dispute_id: int) -> Any:
    """Upload a photo or document (multipart field `file`): weighbridge ticket, lab result."""
    file = request.files.get("file")
    if file is None:
        raise Invalid("请选择文件", {"file": "required"})
    item = disputes.add_evidence(
        require_actor(),
        dispute_id,
        file.read(),
        file.filename or "",
        evidence_store(),
        now=utcnow(),
    )
    db.session.commit()
    return item


@blp.route("/disputes/<int:dispute_id>/evidence/<sha256>", methods=["GET"])
@access()
def download_evidence(dispute_id: int, sha256: str) -> Any:
    """A dispute's evidence file, for its parties and the platform."""
    dispute, _ = disputes.get_dispute(require_actor(), dispute_id)
    item = next((e for e in dispute.evidence if e.sha256 == sha256), None)
    if item is None:
        raise NotFound("证据不存在")
    response = Response(evidence_store().get(item.sha256), mimetype=item.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "attachment"
    return response


@blp.route("/disputes/<int:dispute_id>/accept", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.arguments(NoteSchema)
@blp.response(200, DisputeSchema)
def accept_dispute(data: dict[str, Any], dispute_id: int) -> Any:
    """The seller accepts the claim: the trade settles with the claimed deduction."""
    dispute = disputes.accept(require_actor(), dispute_id, data["note"], now=utcnow())
    db.session.commit()
    return dispute


@blp.route("/disputes/<int:dispute_id>/contest", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.arguments(NoteSchema)
@blp.response(200, DisputeSchema)
def contest_dispute(data: dict[str, Any], dispute_id: int) -> Any:
    """The seller disagrees (with its reason); the platform decides."""
    dispute = disputes.contest(require_actor(), dispute_id, data["note"], now=utcnow())
    db.session.commit()
    return dispute


@blp.route("/disputes/<int:dispute_id>/resolve", methods=["POST"])
@access(kinds=[OrgKind.ADMIN], roles=WRITERS)
@blp.arguments(ResolveSchema)
@blp.response(200, DisputeSchema)
def resolve_dispute(data: dict[str, Any], dispute_id: int) -> Any:
    """The platform decides: settle with a deduction, or cancel the trade."""
    deduction = data["deduction_yuan"]
    dispute = disputes.resolve(
        require_actor(),
        dispute_id,
        deduction_fen=yuan_to_fen(deduction) if deduction is not None else None,
        cancel=data["cancel"],
        note=data["note"],
        now=utcnow(),
    )
    db.session.commit()
    return dispute


@blp.route("/certificates", methods=["GET"])
@access()
@blp.response(200, CertificateSchema(many=True))
def my_certificates() -> Any:
    """Certificates of recycling of my organisation's trades."""
    return certificates.for_actor(require_actor())


@blp.route("/certificates/<code>", methods=["GET"])
@access(public=True)
@blp.response(200, CertificateSchema)
def get_certificate(code: str) -> Any:
    """A certificate by its public code; recompute `sha256` over the RFC 8785 form of `body`
    to check it."""
    return certificates.by_code(code)


@blp.route("/certificates/<code>/pdf", methods=["GET"])
@access(public=True)
def certificate_pdf(code: str) -> Any:
    """The certificate as a PDF."""
    cert = certificates.by_code(code)
    url = url_for("trade_pages.certificate", code=cert.code, _external=True)
    data = render(cert.body, cert.sha256, url, current_app.config["TIMEZONE"])
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{cert.number}.pdf"'
    return response
