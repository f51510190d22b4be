"""Pages for selling and bidding: the sale box on a lot (rules, live state, bids, offers), my
bids, and the price index chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.errors import flatten, translated
from marketplace.trading import prices, services
from marketplace.trading.index import weekly
from marketplace.trading.schemas import BidCreateSchema, SaleRulesSchema

bp = Blueprint("trading", __name__)
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def problem(err: Exception) -> str:
    """A flash message for a refused form: the fields and why, or the domain rule's message."""
    if isinstance(err, ValidationError):
        fields = flatten(err.messages)
        return (
            gettext("请修正以下字段：") + " " + ", ".join(f"{k}（{v}）" for k, v in fields.items())
        )
    assert isinstance(err, DomainError)
    detail = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
    return translated(err) + (f"（{detail}）" if detail else "")


def form_data(*skip: str) -> dict[str, str]:
    """The submitted form without empty fields and the CSRF token, ready for a schema."""
    return {
        k: v.strip()
        for k, v in request.form.items()
        if v.strip() and k not in ("csrf_token", *skip)
    }


def attempt(work: Any, done: str, back: str) -> Any:
    """Run a form's work in the request's transaction: commit and flash `done`, or roll back
    and flash why; then go back to the page."""
    try:
        work()
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        flash(problem(err), "danger")
        return redirect(back)
    db.session.commit()
    flash(done)
    return redirect(back)


@bp.post("/lots/<int:lot_id>/sale")
@access(kinds=SELLERS, roles=WRITERS)
def set_sale(lot_id: int) -> Any:
    form = form_data()
    if "deadline" in form:  # the page sends local time without a zone
        try:
            local = datetime.fromisoformat(form["deadline"])
        except ValueError:
            form["deadline"] = "invalid"
        else:
            if local.tzinfo is None:
                local = local.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
            form["deadline"] = local.isoformat()
    return attempt(
        lambda: services.set_sale(
            require_actor(), lot_id, SaleRulesSchema().load(form), now=utcnow()
        ),
        gettext("竞价规则已保存。"),
        url_for("lots.detail", lot_id=lot_id),
    )


@bp.post("/lots/<int:lot_id>/bid")
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
def place_bid(lot_id: int) -> Any:
    def work() -> None:
        data = BidCreateSchema().load(form_data())
        services.place_bid(
            require_actor(), lot_id, data["amount_yuan_per_t"], data["max_yuan_per_t"], now=utcnow()
        )

    return attempt(work, gettext("出价成功。"), url_for("lots.detail", lot_id=lot_id))


@bp.post("/lots/<int:lot_id>/bids/<int:bid_id>/<decision>")
@access(kinds=SELLERS, roles=WRITERS)
def decide_offer(lot_id: int, bid_id: int, decision: str) -> Any:
    back = url_for("lots.detail", lot_id=lot_id)
    if decision == "accept":
        return attempt(
            lambda: services.accept_offer(require_actor(), lot_id, bid_id, now=utcnow()),
            gettext("已接受报价，成交已生成。"),
            url_for("trade_pages.my_trades"),
        )
    if decision == "reject":
        return attempt(
            lambda: services.reject_offer(require_actor(), lot_id, bid_id, now=utcnow()),
            gettext("已拒绝该报价。"),
            back,
        )
    flash(gettext("未知操作"), "danger")
    return redirect(back)


@bp.get("/bids")
@access(kinds=[OrgKind.RECYCLER])
def my_bids() -> Any:
    return render_template("trading/bids.html", rows=services.my_bids(require_actor()))


@bp.get("/price-index")
@access()
def price_index() -> Any:
    """The weekly index of every grade that has traded, with a chart of the chosen grade."""
    points = weekly(prices.cleared(None, current_app.config["TIMEZONE"]))
    grades = sorted({p.grade for p in points})
    chosen = request.args.get("grade") or (grades[0] if grades else None)
    names = {
        c.code: c for c in db.session.scalars(sa.select(Category).where(Category.code.in_(grades)))
    }
    return render_template(
        "trading/price_index.html",
        grades=grades,
        names=names,
        chosen=chosen if chosen in grades else None,
        series=[p for p in points if p.grade == chosen],
    )
