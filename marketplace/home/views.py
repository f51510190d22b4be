"""The landing page of each role."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from marketplace.access import access, current_actor, require_actor
from marketplace.home.services import home_context

bp = Blueprint("home", __name__)


@bp.get("/")
@access(public=True)
def index() -> Any:
    """Signed-in users go to their home; everyone else to the sign-in page."""
    if current_actor() is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for("home.dashboard"))


@bp.get("/home")
@access()
def dashboard() -> Any:
    actor = require_actor()
    return render_template(f"home/{actor.org_kind.value}.html", **home_context(actor))


@bp.get("/healthz")
@access(public=True)
def health() -> Any:
    """Liveness for load balancers: the process answers."""
    return {"status": "ok"}
