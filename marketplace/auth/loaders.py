"""How a request becomes a user: a session cookie (pages) or a bearer token (API)."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import LoginManager

from core import auth, security
from core.db import db
from core.errors import Unauthorized
from core.models import User
from core.time import utcnow


def is_bearer_request() -> bool:
    """True when the request carries `Authorization: Bearer …`."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


def session_policy() -> security.SessionPolicy:
    """The idle and absolute session lifetimes from the configuration."""
    from datetime import timedelta

    return security.SessionPolicy(
        idle=timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT_S"]),
        absolute=timedelta(seconds=current_app.config["SESSION_ABSOLUTE_TIMEOUT_S"]),
    )


def install_loaders(manager: LoginManager) -> None:
    """Register the session and bearer loaders on the login manager."""
    manager.login_view = "auth.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        if is_bearer_request():  # an explicit token speaks for itself, whatever cookie rides along
            return None
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.is_active:
            return None
        # The signed cookie alone is not enough: its server-side session must still be live
        # (not signed out, not idle or too old) — see core.security.
        if not security.check_session(
            session.get("sid"), user.id, now=utcnow(), policy=session_policy()
        ):
            session.clear()
            return None
        return user

    @manager.request_loader
    def load_from_token(_request: object) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            user = auth.user_for_token(header.removeprefix("Bearer ").strip(), now=utcnow())
        except Unauthorized as err:
            # Not raised here: current_user is read again while the error is rendered. The
            # access hook raises it, because a bad token is an error, not anonymity.
            g.auth_error = err
            return None
        if db.session.dirty:
            db.session.commit()  # last_used_at moved (see user_for_token)
        return user

    @manager.unauthorized_handler
    def unauthorized() -> None:
        raise Unauthorized("请先登录")
