"""Pages: my organisation's sites (场地): where lots are picked up and distances start."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core.db import db
from core.enums import Role
from core.errors import DomainError
from core.models import Site
from marketplace.access import access, require_actor
from marketplace.errors import flatten, translated
from marketplace.orgs import services
from marketplace.orgs.schemas import SiteSchema

bp = Blueprint("orgs", __name__)


def _page(errors: dict[str, str], status: int = 200) -> Any:
    actor = require_actor()
    sites = db.session.scalars(
        sa.select(Site).where(Site.organization_id == actor.org_id).order_by(Site.id)
    ).all()
    return render_template(
        "orgs/sites.html", sites=sites, errors=errors, values=request.form
    ), status


@bp.get("/sites")
@access()
def sites() -> Any:
    return _page({})


@bp.post("/sites")
@access(roles=[Role.MANAGER, Role.OPERATOR])
def add_site() -> Any:
    actor = require_actor()
    raw = {k: v for k, v in request.form.items() if k not in ("csrf_token", "loading") and v}
    raw["loading"] = request.form.getlist("loading")
    try:
        services.add_site(actor, actor.org_id, SiteSchema().load(raw))
    except ValidationError as err:
        db.session.rollback()
        return _page(flatten(err.messages), 422)
    except DomainError as err:
        db.session.rollback()
        return _page(err.fields or {"_": translated(err)}, 422)
    db.session.commit()
    flash(gettext("场地已添加。"))
    return redirect(url_for("orgs.sites"))
