"""Pages after the award: my trades and escrow, one trade with its next steps and dispute, my
disputes, my certificates, and the public certificate page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid
from core.models import Organization
from core.time import utcnow
from core.units import kg_to_grams, yuan_to_fen
from marketplace.access import access, require_actor
from marketplace.lots.store import evidence_store
from marketplace.trading import certificates, disputes, escrow, trades
from marketplace.trading.models import Certificate, Dispute, DisputeKind
from marketplace.trading.schemas import (
    CancelSchema,
    CloseSchema,
    DeliverySchema,
    DisputeCreateSchema,
    PayoutSchema,
    ResolveSchema,
)
from marketplace.trading.trades_api import dispute_window, trades_for
from marketplace.trading.views import attempt, form_data

bp = Blueprint("trade_pages", __name__)
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
PARTIES = [*SELLERS, OrgKind.RECYCLER, OrgKind.ADMIN]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def _names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Organization.id, Organization.legal_name).where(Organization.id.in_(ids))
    )
    return dict(rows.tuples().all())


@bp.get("/trades")
@access()
def my_trades() -> Any:
    actor = require_actor()
    rows = trades_for(actor)
    return render_template(
        "trading/trades.html",
        trades=rows,
        names=_names({t.buyer_id for t in rows} | {t.seller_id for t in rows}),
        balances=escrow.balances(actor.org_id),
        entries=escrow.entries(actor.org_id, limit=20),
    )


@bp.post("/escrow/payout")
@access(roles=[Role.MANAGER])
def payout() -> Any:
    def work() -> None:
        data = PayoutSchema().load(form_data())
        escrow.payout(require_actor(), yuan_to_fen(data["amount_yuan"]), data["reference"])

    return attempt(work, gettext("提现已登记。"), url_for("trade_pages.my_trades"))


@bp.get("/trades/<int:trade_id>")
@access()
def trade(trade_id: int) -> Any:
    actor = require_actor()
    item = trades.get_trade(actor, trade_id)
    dispute = db.session.scalar(sa.select(Dispute).where(Dispute.trade_id == trade_id))
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.trade_id == trade_id))
    return render_template(
        "trading/trade.html",
        t=item,
        dispute=dispute,
        cert=cert,
        names=_names({item.buyer_id, item.seller_id}),
        payable=trades.payable(item) if item.net_g is not None else None,
        held=trades.held_for(item),
        now=utcnow(),
        kinds=list(DisputeKind),
        end_uses=list(certificates.EndUse),
    )


def _trade_step(trade_id: int, step: str) -> None:
    actor, now = require_actor(), utcnow()
    if step == "schedule":
        trades.schedule_pickup(actor, trade_id, now=now)
    elif step == "picked-up":
        trades.confirm_pickup(actor, trade_id, now=now)
    elif step == "delivered":
        data = DeliverySchema().load(form_data())
        trades.confirm_delivery(
            actor,
            trade_id,
            kg_to_grams(data["net_kg"]),
            data["measured_moisture_pct"],
            data["contract_moisture_pct"],
            now=now,
            window=dispute_window(),
        )
    elif step == "settle":
        trades.settle(actor, trade_id, now=now)
    elif step == "cancel":
        trades.cancel(actor, trade_id, CancelSchema().load(form_data())["reason"], now=now)
    elif step == "close":
        data = CloseSchema().load(form_data())
        certificates.close(
            actor,
            trade_id,
            data["end_use_kind"],
            data["end_use"],
            now=now,
            tz=current_app.config["TIMEZONE"],
        )
    elif step == "dispute":
        _open_dispute(trade_id)
    else:
        raise Invalid("未知操作", {"step": "unknown"})


def _open_dispute(trade_id: int) -> None:
    data = DisputeCreateSchema().load(form_data())
    net = data["claimed_net_kg"]
    dispute = disputes.open_dispute(
        require_actor(),
        trade_id,
        data["kind"],
        yuan_to_fen(data["claim_yuan"]),
        data["description"],
        claimed_net_g=kg_to_grams(net) if net is not None else None,
        now=utcnow(),
    )
    for file in request.files.getlist("file"):
        if file.filename:
            disputes.add_evidence(
                require_actor(),
                dispute.id,
                file.read(),
                file.filename,
                evidence_store(),
                now=utcnow(),
            )


@bp.post("/trades/<int:trade_id>/<step>")
@access(kinds=PARTIES, roles=WRITERS)
def trade_step(trade_id: int, step: str) -> Any:
    return attempt(
        lambda: _trade_step(trade_id, step),
        gettext("已更新。"),
        url_for("trade_pages.trade", trade_id=trade_id),
    )


def _dispute_step(dispute_id: int, step: str) -> None:
    actor, now = require_actor(), utcnow()
    note = request.form.get("note", "").strip()[:500]
    if step == "accept":
        disputes.accept(actor, dispute_id, note, now=now)
    elif step == "contest":
        disputes.contest(actor, dispute_id, note, now=now)
    elif step == "resolve":
        form = form_data()
        form["cancel"] = "true" if form.get("cancel") else "false"
        data = ResolveSchema().load(form)
        deduction = data["deduction_yuan"]
        disputes.resolve(
            actor,
            dispute_id,
            deduction_fen=yuan_to_fen(deduction) if deduction is not None else None,
            cancel=data["cancel"],
            note=data["note"],
            now=now,
        )
    elif step == "evidence":
        file = request.files.get("file")
        if file is None or not file.filename:
            raise Invalid("请选择文件", {"file": "required"})
        disputes.add_evidence(
            actor, dispute_id, file.read(), file.filename, evidence_store(), now=now
        )
    else:
        raise Invalid("未知操作", {"step": "unknown"})


@bp.post("/disputes/<int:dispute_id>/<step>")
@access(kinds=PARTIES, roles=WRITERS)
def dispute_step(dispute_id: int, step: str) -> Any:
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        flash(gettext("争议不存在"), "danger")
        return redirect(url_for("trade_pages.disputes_page"))
    return attempt(
        lambda: _dispute_step(dispute_id, step),
        gettext("已更新。"),
        url_for("trade_pages.trade", trade_id=dispute.trade_id),
    )


@bp.get("/disputes")
@access()
def disputes_page() -> Any:
    actor = require_actor()
    rows = disputes.for_actor(actor)
    return render_template(
        "trading/disputes.html",
        rows=rows,
        names=_names({t.buyer_id for _, t in rows} | {t.seller_id for _, t in rows}),
    )


@bp.get("/certificates")
@access()
def certificates_page() -> Any:
    return render_template(
        "trading/certificates.html", rows=certificates.for_actor(require_actor())
    )


@bp.get("/certificates/<code>")
@access(public=True)
def certificate(code: str) -> Any:
    """Anyone holding the link or the QR code may read and check a certificate."""
    cert = certificates.by_code(code)
    return render_template(
        "trading/certificate.html",
        cert=cert,
        body=cert.body,
        recomputed=certificates.fingerprint(cert.body),
        url=url_for("trade_pages.certificate", code=code, _external=True),
    )
