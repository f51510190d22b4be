"""Pages: the sale box on a lot (rules, standing, bidding), my trades, my escrow account."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.time import utcnow
from core.units import kg_to_grams
from marketplace.access import access, require_actor
from marketplace.errors import flatten
from marketplace.trading import escrow, services, trades
from marketplace.trading.models import Trade
from marketplace.trading.schemas import BidCreateSchema, DeliverySchema, SaleRulesSchema

bp = Blueprint("trading", __name__)
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def _problem(err: Exception) -> str:
    if isinstance(err, ValidationError):
        fields = flatten(err.messages)
        return (
            gettext("请修正以下字段：") + " " + ", ".join(f"{k}（{v}）" for k, v in fields.items())
        )
    assert isinstance(err, DomainError)
    detail = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
    return gettext(err.message, **err.params) + (f"（{detail}）" if detail else "")


@bp.post("/lots/<int:lot_id>/sale")
@access(kinds=SELLERS, roles=WRITERS)
def set_sale(lot_id: int) -> Any:
    form = {k: v for k, v in request.form.items() if v and k != "csrf_token"}
    if "deadline" in form:  # the page sends local time without a zone
        local = datetime.fromisoformat(form["deadline"])
        if local.tzinfo is None:
            local = local.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
        form["deadline"] = local.isoformat()
    try:
        services.set_sale(require_actor(), lot_id, SaleRulesSchema().load(form), now=utcnow())
    except (ValidationError, DomainError, ValueError) as err:
        db.session.rollback()
        flash(_problem(err) if not isinstance(err, ValueError) else str(err), "danger")
        return redirect(url_for("lots.detail", lot_id=lot_id))
    db.session.commit()
    flash(gettext("竞价规则已保存。"))
    return redirect(url_for("lots.detail", lot_id=lot_id))


@bp.post("/lots/<int:lot_id>/bid")
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
def place_bid(lot_id: int) -> Any:
    form = {k: v for k, v in request.form.items() if v and k != "csrf_token"}
    try:
        data = BidCreateSchema().load(form)
        services.place_bid(
            require_actor(), lot_id, data["amount_yuan_per_t"], data["max_yuan_per_t"], now=utcnow()
        )
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        flash(_problem(err), "danger")
        return redirect(url_for("lots.detail", lot_id=lot_id))
    db.session.commit()
    flash(gettext("出价成功。"))
    return redirect(url_for("lots.detail", lot_id=lot_id))


@bp.get("/trades")
@access()
def my_trades() -> Any:
    actor = require_actor()
    stmt = sa.select(Trade).order_by(Trade.id.desc()).limit(200)
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(sa.or_(Trade.buyer_id == actor.org_id, Trade.seller_id == actor.org_id))
    bal = escrow.balances(actor.org_id)
    return render_template(
        "trading/trades.html",
        trades=db.session.scalars(stmt).all(),
        balances=bal,
        entries=escrow.entries(actor.org_id, limit=20),
    )


@bp.post("/trades/<int:trade_id>/<step>")
@access(kinds=[*SELLERS, OrgKind.RECYCLER, OrgKind.ADMIN], roles=WRITERS)
def trade_step(trade_id: int, step: str) -> Any:
    actor = require_actor()
    try:
        if step == "schedule":
            trades.schedule_pickup(actor, trade_id, now=utcnow())
        elif step == "picked-up":
            trades.confirm_pickup(actor, trade_id, now=utcnow())
        elif step == "delivered":
            data = DeliverySchema().load(
                {k: v for k, v in request.form.items() if v and k != "csrf_token"}
            )
            trades.confirm_delivery(
                actor,
                trade_id,
                kg_to_grams(data["net_kg"]),
                data["measured_moisture_pct"],
                data["contract_moisture_pct"],
                now=utcnow(),
            )
        elif step == "settle":
            trades.settle(actor, trade_id, now=utcnow())
        else:
            flash(gettext("未知操作"), "danger")
            return redirect(url_for("trading.my_trades"))
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        flash(_problem(err), "danger")
        return redirect(url_for("trading.my_trades"))
    db.session.commit()
    flash(gettext("已更新。"))
    return redirect(url_for("trading.my_trades"))
