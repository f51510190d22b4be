"""Pages: my lots, the archive form, lot detail with evidence, the market with its map, 求购."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.models import Site
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.errors import flatten, translated
from marketplace.lots import forms, search, services, tabular, wanted
from marketplace.lots.models import EvidenceKind, Form, Lot, QuantityBasis
from marketplace.lots.properties import SPECS, Source
from marketplace.lots.schemas import ArchiveSchema, LotSearchArgs, WantedCreateSchema
from marketplace.lots.store import evidence_store
from marketplace.pagination import paginate
from marketplace.trading.services import bids_received, sale_box
from marketplace.trading.services import withdraw as withdraw_lot

bp = Blueprint("lots", __name__)
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]


def _form_context(actor: Any) -> dict[str, Any]:
    families = db.session.scalars(
        sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.code)
    ).all()
    sites = db.session.scalars(
        sa.select(Site).where(Site.organization_id == actor.org_id).order_by(Site.id)
    ).all()
    return {
        "families": families,
        "sites": sites,
        "specs": SPECS,
        "forms": list(Form),
        "bases": list(QuantityBasis),
        "sources": list(Source),
        "rows": range(forms.COMPOSITION_ROWS),
    }


def _errors(err: Exception) -> dict[str, str]:
    if isinstance(err, ValidationError):
        return flatten(err.messages)
    assert isinstance(err, DomainError)
    return err.fields or {"_": translated(err)}


@bp.get("/lots/mine")
@access(kinds=SELLERS)
def mine() -> Any:
    actor = require_actor()
    page = paginate(
        search.build(search.LotQuery(), organization_id=actor.org_id),
        request.args.get("page", 1, type=int) or 1,
        50,
    )
    return render_template(
        "lots/mine.html", page=page, bids=bids_received([lot.id for lot in page["items"]])
    )


def _archive_form(actor: Any, lot: Lot | None, save: Any, done: str) -> Any:
    """GET shows the form; POST validates the whole archive and saves it, or says what is wrong."""
    values: dict[str, Any] = (
        forms.from_version(services.current_version(lot)) if lot else {"loading": []}
    )
    if request.method == "GET":
        return render_template(
            "lots/form.html", values=values, errors={}, lot=lot, **_form_context(actor)
        )
    values = request.form.to_dict() | {"loading": request.form.getlist("loading")}
    try:
        saved = save(ArchiveSchema().load(forms.to_archive(request.form)))
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        page = render_template(
            "lots/form.html", values=values, errors=_errors(err), lot=lot, **_form_context(actor)
        )
        return page, 422
    db.session.commit()
    flash(done)
    return redirect(url_for("lots.detail", lot_id=saved.id))


@bp.route("/lots/new", methods=["GET", "POST"])
@access(kinds=SELLERS, roles=WRITERS)
def create() -> Any:
    actor = require_actor()
    return _archive_form(
        actor,
        None,
        lambda data: services.create_lot(actor, data, now=utcnow()),
        gettext("批次已保存为草稿，补充证据后即可发布。"),
    )


@bp.route("/lots/<int:lot_id>/edit", methods=["GET", "POST"])
@access(kinds=SELLERS, roles=WRITERS)
def edit(lot_id: int) -> Any:
    actor = require_actor()
    lot = services.get_lot(actor, lot_id)
    return _archive_form(
        actor,
        lot,
        lambda data: services.update_lot(actor, lot_id, data, now=utcnow()),
        gettext("已保存为新版本。"),
    )


@bp.get("/lots/<int:lot_id>")
@access()
def detail(lot_id: int) -> Any:
    actor = require_actor()
    lot = services.get_lot(actor, lot_id)
    number = request.args.get("version", type=int)
    version = (
        services.get_version(actor, lot_id, number) if number else services.current_version(lot)
    )
    return render_template(
        "lots/detail.html",
        lot=lot,
        version=version,
        evidence=services.version_evidence(version),
        specs=SPECS,
        mine=lot.organization_id == actor.org_id,
        kinds=list(EvidenceKind),
        **sale_box(actor, lot),
    )


def _change_status(lot_id: int, change: Any) -> Any:
    try:
        change(require_actor(), lot_id, now=utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(translated(err), "danger")
        return redirect(url_for("lots.detail", lot_id=lot_id))
    db.session.commit()
    return redirect(url_for("lots.detail", lot_id=lot_id))


@bp.post("/lots/<int:lot_id>/publish")
@access(kinds=SELLERS, roles=WRITERS)
def publish(lot_id: int) -> Any:
    return _change_status(lot_id, services.publish_lot)


@bp.post("/lots/<int:lot_id>/withdraw")
@access(kinds=SELLERS, roles=WRITERS)
def withdraw(lot_id: int) -> Any:
    return _change_status(lot_id, withdraw_lot)


@bp.post("/lots/<int:lot_id>/evidence")
@access(kinds=SELLERS, roles=WRITERS)
def upload(lot_id: int) -> Any:
    actor = require_actor()
    file = request.files.get("file")
    meta = {
        k: request.form.get(k, "").strip()
        for k in ("title", "lab_name", "accreditation_no", "method")
    }
    try:
        kind = EvidenceKind(request.form.get("kind", ""))
        if request.form.get("test_date"):
            from datetime import date

            meta["test_date"] = date.fromisoformat(request.form["test_date"])
        services.add_evidence(
            actor,
            lot_id,
            kind,
            file.read() if file else b"",
            file.filename or "" if file else "",
            meta,
            evidence_store(),
            now=utcnow(),
        )
    except (DomainError, ValueError) as err:
        db.session.rollback()
        message = translated(err) if isinstance(err, DomainError) else str(err)
        flash(message, "danger")
        return redirect(url_for("lots.detail", lot_id=lot_id)), 303
    db.session.commit()
    flash(gettext("证据已上传，档案已生成新版本。"))
    return redirect(url_for("lots.detail", lot_id=lot_id)), 303


@bp.post("/lots/import")
@access(kinds=SELLERS, roles=WRITERS)
def bulk_import() -> Any:
    actor = require_actor()
    file = request.files.get("file")
    try:
        lots = tabular.import_lots(
            actor, tabular.read(file.filename or "", file.read()) if file else tabular.read("", b"")
        )
    except DomainError as err:
        db.session.rollback()
        page = paginate(search.build(search.LotQuery(), organization_id=actor.org_id), 1, 50)
        return render_template(
            "lots/mine.html",
            page=page,
            import_errors=err.fields,
            import_message=translated(err),
        ), 422
    db.session.commit()
    flash(gettext("已导入 %(n)s 个批次（草稿）。", n=len(lots)))
    return redirect(url_for("lots.mine"))


@bp.get("/market")
@access()
def market() -> Any:
    actor = require_actor()
    sites = db.session.scalars(sa.select(Site).where(Site.organization_id == actor.org_id)).all()
    families = db.session.scalars(
        sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.code)
    ).all()
    try:
        args = LotSearchArgs().load({k: v for k, v in request.args.items() if v and k != "lang"})
    except ValidationError as err:
        return render_template(
            "lots/market.html",
            page=None,
            sites=sites,
            families=families,
            errors=flatten(err.messages),
            args=request.args,
        ), 422
    site = next((s for s in sites if s.id == args["site_id"]), None)
    if args["site_id"] is not None and site is None:
        return render_template(
            "lots/market.html",
            page=None,
            sites=sites,
            families=families,
            errors={"site_id": "not one of your sites"},
            args=request.args,
        ), 422
    query = search.LotQuery(
        family=args["family"],
        grade=args["grade"],
        min_dql=args["min_dql"],
        min_t=args["min_t"],
        max_t=args["max_t"],
        max_price_yuan=args["max_price"],
        near=(site.lat, site.lon) if site else None,
        radius_km=args["radius_km"] if site else None,
        q=args["q"],
        sort=args["sort"] if site or args["sort"] != "distance" else "newest",
    )
    limit = current_app.config["SEARCH_COUNT_LIMIT"]
    page = search.page(query, args["page"], args["per_page"], count_limit=limit)
    points = [
        {
            "id": lot.id,
            "lat": lot.lat,
            "lon": lot.lon,
            "title": lot.title,
            "url": url_for("lots.detail", lot_id=lot.id),
        }
        for lot in page["items"]
    ]
    centre = {"lat": site.lat, "lon": site.lon, "radius_km": args["radius_km"]} if site else None
    return render_template(
        "lots/market.html",
        page=page,
        sites=sites,
        families=families,
        errors={},
        args=request.args,
        points=points,
        centre=centre,
        tiles=current_app.config.get("MAP_TILE_URL"),
        site=site,
    )


def _wanted_page(actor: Any, errors: dict[str, str], status: int = 200) -> Any:
    my_lots = db.session.scalars(
        sa.select(Lot)
        .where(Lot.organization_id == actor.org_id, Lot.status == "listed")
        .order_by(Lot.id.desc())
    ).all()
    families = db.session.scalars(
        sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.code)
    ).all()
    sites = db.session.scalars(sa.select(Site).where(Site.organization_id == actor.org_id)).all()
    return render_template(
        "lots/wanted.html",
        requests=wanted.visible(actor, today=utcnow().date()),
        my_lots=my_lots,
        families=families,
        sites=sites,
        errors=errors,
        values=request.form,
    ), status


@bp.get("/wanted")
@access()
def wanted_list() -> Any:
    return _wanted_page(require_actor(), {})


@bp.post("/wanted")
@access(kinds=[OrgKind.RECYCLER], roles=WRITERS)
def wanted_create() -> Any:
    actor = require_actor()
    try:
        data = WantedCreateSchema().load(
            {k: v for k, v in request.form.items() if v and k != "csrf_token"}
        )
        wanted.create(actor, data, now=utcnow())
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        return _wanted_page(actor, _errors(err), 422)
    db.session.commit()
    flash(gettext("求购信息已发布。"))
    return redirect(url_for("lots.wanted_list"))


@bp.post("/wanted/<int:wanted_id>/answer")
@access(kinds=SELLERS, roles=WRITERS)
def wanted_answer(wanted_id: int) -> Any:
    try:
        wanted.answer(
            require_actor(),
            wanted_id,
            request.form.get("lot_id", 0, type=int),
            today=utcnow().date(),
        )
    except DomainError as err:
        db.session.rollback()
        flash(translated(err), "danger")
        return redirect(url_for("lots.wanted_list"))
    db.session.commit()
    flash(gettext("已应答。"))
    return redirect(url_for("lots.wanted_list"))
