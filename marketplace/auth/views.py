"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user

from core import auth, security
from core.db import db
from core.errors import TooManyRequests, Unauthorized
from core.time import utcnow
from marketplace.access import access

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login page cannot be used as an open redirect."""
    if not target:
        return url_for("home.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.dashboard")
    return target


@bp.get("/login")
@access(public=True)
def login() -> Any:
    return render_template("auth/login.html", next=request.args.get("next", ""))


@bp.post("/login")
@access(public=True)
def login_submit() -> Any:
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    if not username.strip() or not password:
        return render_template(
            "auth/login.html", next=next_url, username=username, error=gettext("请输入用户名和密码")
        ), 422
    try:
        user = auth.authenticate(username, password, ip=request.remote_addr or "", now=utcnow())
    except TooManyRequests as err:
        db.session.rollback()
        page = render_template(
            "auth/login.html", next=next_url, username=username, error=gettext(err.message)
        )
        return page, 429, {"Retry-After": str(err.retry_after)}
    except Unauthorized as err:
        db.session.rollback()
        return render_template(
            "auth/login.html", next=next_url, username=username, error=gettext(err.message)
        ), 401
    lang = session.get("lang")
    session.clear()  # a fresh session on login: no fixation
    if lang:
        session["lang"] = lang
    session["sid"] = security.start_session(user.id, ip=request.remote_addr or "", now=utcnow())
    login_user(user)
    db.session.commit()
    return redirect(_safe_next(next_url))


@bp.post("/logout")
@access(self_service=True)
def logout() -> Any:
    security.end_session(session.get("sid"), now=utcnow())
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
