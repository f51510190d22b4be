"""Pages: the panels on the lot page and the recycler's home (template globals, so the shared
templates need one include each), the recycler's full list, invitations, and the admin page
with the current model, its offline metrics and a retrain button with a progress bar."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

import matching
from core import jobs
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError, Invalid, NotFound
from core.time import utcnow
from marketplace.access import access, current_actor, require_actor
from marketplace.errors import translated
from marketplace.jobs.runner import dispatch
from marketplace.lots.models import Lot, LotStatus
from marketplace.recommend import outreach, services
from marketplace.recommend.models import Impression, ModelVersion

log = logging.getLogger(__name__)
bp = Blueprint("recommend", __name__)
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]
PANEL_K = 5


def _safely(build: Any) -> dict[str, Any]:
    """A panel never breaks its page: a user's problem is shown, anything else is logged."""
    try:
        return build()
    except DomainError as err:
        db.session.rollback()
        return {"error": translated(err)}
    except matching.MatchingError as err:
        db.session.rollback()
        log.warning("recommendation refused: %s", err)
        return {"error": gettext("暂时无法生成推荐。")}


@bp.app_template_global()
def recommend_lot_panel(lot: Lot) -> dict[str, Any] | None:
    """On `/lots/<id>`: the owner sees recommended buyers; a recycler who came from one of its
    lists (`?rec=<impression>`) has the click noted."""
    actor = current_actor()
    if actor is None:
        return None
    now = utcnow()
    if lot.organization_id != actor.org_id:
        rec = request.args.get("rec", type=int)
        recycler = actor.org_kind is OrgKind.RECYCLER
        if rec and recycler and services.mark_clicked(actor, rec, lot.id, now):
            db.session.commit()
        return None
    if lot.status != LotStatus.LISTED:
        return None

    def build() -> dict[str, Any]:
        result = services.recommend_buyers(actor, lot.id, PANEL_K, now=now, surface="lot-page")
        invited = set(
            db.session.scalars(
                sa.select(Impression.buyer_org_id).where(
                    Impression.lot_id == lot.id, Impression.surface == "invite"
                )
            )
        )
        db.session.commit()
        can_invite = actor.role in WRITERS
        return {"result": result, "invited": invited, "can_invite": can_invite, "lot_id": lot.id}

    return _safely(build)


@bp.app_template_global()
def recommend_home_panel() -> dict[str, Any] | None:
    """On a recycler's home: its top lots with reasons (recorded as the `home` surface)."""
    actor = current_actor()
    if actor is None or actor.org_kind is not OrgKind.RECYCLER:
        return None

    def build() -> dict[str, Any]:
        result = services.recommend_lots(actor, PANEL_K, now=utcnow(), surface="home")
        db.session.commit()
        return {"result": result}

    return _safely(build)


@bp.get("/recommendations")
@access(kinds=[OrgKind.RECYCLER])
def lots_page() -> Any:
    """The recycler's full list (the daily digest links here)."""
    actor = require_actor()
    k = services.parse_k(request.args.get("k"), default=20)
    panel = _safely(
        lambda: {"result": services.recommend_lots(actor, k, now=utcnow(), surface="home")}
    )
    db.session.commit()
    return render_template("recommend/lots.html", panel=panel)


@bp.post("/lots/<int:lot_id>/invite")
@access(kinds=SELLERS, roles=WRITERS)
def invite(lot_id: int) -> Any:
    """Invite one recommended recycler to bid: it gets a notification linking to the lot."""
    actor = require_actor()
    services.lot_for_owner(actor, lot_id)  # another's or unknown: 404
    try:
        raw = request.form.get("buyer_org_id", "")
        if not raw.isdigit() or not 1 <= int(raw) < 2**31:
            raise Invalid("请选择一家回收利用企业", {"buyer_org_id": "not an id"})
        outreach.invite(actor, lot_id, int(raw), now=utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(translated(err), "danger")
        return redirect(url_for("lots.detail", lot_id=lot_id))
    db.session.commit()
    flash(gettext("已发送邀请。"), "success")
    return redirect(url_for("lots.detail", lot_id=lot_id))


def _train_job(job_id: int | None) -> jobs.Job | None:
    if job_id is None:
        return db.session.scalar(
            sa.select(jobs.Job)
            .where(jobs.Job.name == "recommend.train")
            .order_by(jobs.Job.id.desc())
            .limit(1)
        )
    row = db.session.get(jobs.Job, job_id)
    return row if row is not None and row.name == "recommend.train" else None


@bp.get("/admin/recommender")
@access(kinds=[OrgKind.ADMIN])
def admin() -> Any:
    """The current model version, its offline metrics, earlier versions, retraining."""
    versions = list(
        db.session.scalars(sa.select(ModelVersion).order_by(ModelVersion.version.desc()).limit(10))
    )
    active = next((v for v in versions if v.active), None) or services.active_version()
    loaded = services.load_active()
    counts = dict(
        db.session.execute(
            sa.select(Impression.surface, sa.func.count()).group_by(Impression.surface)
        ).all()
    )
    return render_template(
        "recommend/admin.html",
        active=active,
        problem=loaded.problem,
        versions=versions,
        job=_train_job(None),
        impressions=counts,
    )


@bp.post("/admin/recommender/train")
@access(kinds=[OrgKind.ADMIN], roles=WRITERS)
def train() -> Any:
    """Start a training job (one at a time); the page shows its progress."""
    actor = require_actor()
    running = db.session.scalar(
        sa.select(jobs.Job.id).where(
            jobs.Job.name == "recommend.train",
            jobs.Job.state.in_([jobs.JobState.QUEUED, jobs.JobState.RUNNING]),
        )
    )
    if running is None:
        row = jobs.create("recommend.train", user_id=actor.user_id, organization_id=actor.org_id)
        db.session.commit()
        dispatch(row.id)
    else:
        flash(gettext("已有训练任务在运行。"), "warning")
    return redirect(url_for("recommend.admin"))


@bp.get("/admin/recommender/jobs/<int:job_id>")
@access(kinds=[OrgKind.ADMIN])
def job_status(job_id: int) -> Any:
    """What the progress bar polls: the training job's state, percentage and message."""
    row = _train_job(job_id)
    if row is None:
        raise NotFound("后台任务不存在")
    return jsonify(
        state=row.state.value,
        percent=row.percent,
        message=gettext(row.message) if row.message else "",
        error=row.error or "",
    )
