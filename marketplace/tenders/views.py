"""Pages: service requests (mine, or open for quoting), the new-request form, a request with its
ranked quotes or my quote form, choosing, cancelling, completing and rating; my quotes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core import auth
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError, Invalid
from core.models import Site
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.errors import flatten, translated
from marketplace.lots.models import Lot, LotStatus
from marketplace.tenders import awards, ranking, services
from marketplace.tenders.lifecycle import ServiceStatus
from marketplace.tenders.schemas import QuoteCreateSchema, RatingCreateSchema, RequestCreateSchema

bp = Blueprint("tenders", __name__)
REQUESTERS = [OrgKind.PRODUCER, OrgKind.STATION]
PROVIDERS = [OrgKind.LOGISTICS, OrgKind.RECYCLER]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def _form() -> dict[str, Any]:
    return {k: v for k, v in request.form.items() if v.strip() and k != "csrf_token"}


def _local_to_aware(value: str) -> str:
    """The page sends local time without a zone (datetime-local); the API wants an aware one."""
    local = datetime.fromisoformat(value)
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return local.isoformat()


def _errors(err: Exception) -> dict[str, str]:
    if isinstance(err, ValidationError):
        return flatten(err.messages)
    assert isinstance(err, DomainError)
    return err.fields or {"_": translated(err)}


def _problem(err: Exception) -> str:
    if isinstance(err, ValidationError):
        listed = ", ".join(f"{k}（{v}）" for k, v in flatten(err.messages).items())
        return gettext("请修正以下字段：") + " " + listed
    assert isinstance(err, DomainError)
    detail = ", ".join(f"{k}: {v}" for k, v in err.fields.items())
    return translated(err) + (f"（{detail}）" if detail else "")


@bp.get("/services")
@access()
def index() -> Any:
    actor = require_actor()
    return render_template("tenders/index.html", views=services.visible(actor, now=utcnow()))


@bp.get("/services/quotes")
@access(kinds=PROVIDERS)
def my_quotes() -> Any:
    actor = require_actor()
    return render_template("tenders/my_quotes.html", views=services.quoted_by(actor, now=utcnow()))


def _form_page(actor: Any, values: dict[str, Any], errors: dict[str, str], status: int) -> Any:
    families = db.session.scalars(
        sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.code)
    ).all()
    sites = db.session.scalars(
        sa.select(Site).where(Site.organization_id == actor.org_id).order_by(Site.id)
    ).all()
    lots = db.session.scalars(
        sa.select(Lot)
        .where(
            Lot.organization_id == actor.org_id,
            Lot.status.in_([LotStatus.DRAFT, LotStatus.LISTED, LotStatus.AWARDED]),
        )
        .order_by(Lot.id.desc())
        .limit(100)
    ).all()
    page = render_template(
        "tenders/form.html",
        values=values,
        errors=errors,
        families=families,
        sites=sites,
        lots=lots,
    )
    return page, status


@bp.route("/services/new", methods=["GET", "POST"])
@access(kinds=REQUESTERS, roles=WRITERS)
def create() -> Any:
    actor = require_actor()
    if request.method == "GET":
        values = {"kind": request.args.get("kind", "transport"), "basis": "per_tonne"}
        if request.args.get("lot_id", type=int):
            values["lot_id"] = request.args["lot_id"]
        return _form_page(actor, values, {}, 200)
    form = _form()
    try:
        if "deadline" in form:
            try:
                form["deadline"] = _local_to_aware(form["deadline"])
            except ValueError as exc:
                raise Invalid("请求参数有误", {"deadline": "not a date and time"}) from exc
        if "hw_codes" in form:
            codes = form.pop("hw_codes").replace("，", ",")
            form["hw_codes"] = [c.strip() for c in codes.split(",") if c.strip()]  # type: ignore[assignment]
        created = services.create_request(actor, RequestCreateSchema().load(form), now=utcnow())
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        return _form_page(actor, request.form.to_dict(), _errors(err), 422)
    db.session.commit()
    flash(gettext("服务需求已发布，服务商可在截止前报价。"))
    return redirect(url_for("tenders.detail", request_id=created.id))


@bp.get("/services/<int:request_id>")
@access()
def detail(request_id: int) -> Any:
    actor = require_actor()
    now = utcnow()
    view = services.get_view(actor, request_id, now=now)
    owner = auth.can_read_org(actor, view.request.organization_id)
    own = actor.org_id == view.request.organization_id and actor.role is not Role.VIEWER
    award = view.request.award
    return render_template(
        "tenders/detail.html",
        view=view,
        r=view.request,
        owner=owner,
        writer=own,
        ranked=awards.ranked_quotes(actor, request_id) if owner else [],
        history=services.history(request_id, actor.org_id) if not owner else [],
        award=award,
        award_rating=awards.rating_of(award.provider_id) if award else ranking.Rating(),
        can_quote=view.status is ServiceStatus.OPEN and now < view.request.deadline,
        today=now.date(),
    )


def _act(request_id: int, work: Any, done: str) -> Any:
    """Run one step for the request page: commit and say so, or roll back and say why."""
    try:
        work(require_actor())
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        flash(_problem(err), "danger")
        return redirect(url_for("tenders.detail", request_id=request_id))
    db.session.commit()
    flash(done)
    return redirect(url_for("tenders.detail", request_id=request_id))


@bp.post("/services/<int:request_id>/quote")
@access(kinds=[*REQUESTERS, *PROVIDERS], roles=WRITERS)
def quote(request_id: int) -> Any:
    return _act(
        request_id,
        lambda actor: services.submit_quote(
            actor, request_id, QuoteCreateSchema().load(_form()), now=utcnow()
        ),
        gettext("报价已提交。"),
    )


@bp.post("/services/<int:request_id>/award")
@access(kinds=REQUESTERS, roles=WRITERS)
def award(request_id: int) -> Any:
    return _act(
        request_id,
        lambda actor: awards.choose(
            actor, request_id, request.form.get("quote_id", 0, type=int), now=utcnow()
        ),
        gettext("已选定服务商，服务订单已生成。"),
    )


@bp.post("/services/<int:request_id>/cancel")
@access(kinds=REQUESTERS, roles=WRITERS)
def cancel(request_id: int) -> Any:
    return _act(
        request_id,
        lambda actor: awards.cancel(actor, request_id, now=utcnow()),
        gettext("服务需求已取消。"),
    )


def _complete_and_rate(actor: Any, request_id: int) -> None:
    form = _form()
    data = RatingCreateSchema().load(form) if "stars" in form else None
    view = services.get_view(actor, request_id, now=utcnow())
    if view.status is not ServiceStatus.COMPLETED:  # refused by the lifecycle unless awarded
        awards.complete(actor, request_id, now=utcnow())
    if data is not None:
        awards.rate(actor, request_id, data["stars"], data["comment"], now=utcnow())


@bp.post("/services/<int:request_id>/complete")
@access(kinds=REQUESTERS, roles=WRITERS)
def complete(request_id: int) -> Any:
    return _act(
        request_id,
        lambda actor: _complete_and_rate(actor, request_id),
        gettext("已确认服务完成。"),
    )
