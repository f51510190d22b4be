"""How a request becomes a user: a session cookie (pages) or a bearer token (API)."""

from __future__ import annotations

from flask import g, request
from flask_login import LoginManager

from core import auth
from core.db import db
from core.errors import Unauthorized
from core.models import User
from core.time import utcnow


def is_bearer_request() -> bool:
    """True when the request carries `Authorization: Bearer …`."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


def install_loaders(manager: LoginManager) -> None:
    """Register the session and bearer loaders on the login manager."""
    manager.login_view = "auth.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        if is_bearer_request():  # an explicit token speaks for itself, whatever cookie rides along
            return None
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None

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
