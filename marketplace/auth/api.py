"""API: who am I, and my bearer tokens (list, create, revoke)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_login import current_user
from flask_smorest import Blueprint

from core import auth
from core.db import db
from core.models import ApiToken
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.auth.schemas import MeSchema, TokenCreatedSchema, TokenCreateSchema, TokenSchema

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="身份与访问令牌")


@blp.route("/me", methods=["GET"])
@access()
@blp.response(200, MeSchema)
def me() -> Any:
    """The signed-in user and their organisation."""
    return current_user


@blp.route("/tokens", methods=["GET"])
@access()
@blp.response(200, TokenSchema(many=True))
def list_tokens() -> Any:
    """My API tokens, newest first (the secret part is never shown again)."""
    actor = require_actor()
    return db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
    ).all()


@blp.route("/tokens", methods=["POST"])
@access(self_service=True)
@blp.arguments(TokenCreateSchema)
@blp.response(201, TokenCreatedSchema)
def create_token(data: dict[str, Any]) -> Any:
    """Create a bearer token for scripts and integrations; its value is returned only here."""
    token, plain = auth.issue_token(current_user, data["name"], now=utcnow(), days=data["days"])
    db.session.commit()
    token.token = plain  # transient: dumped once in this response, never stored
    return token


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@access(self_service=True)
@blp.response(200, TokenSchema)
def revoke_token(token_id: int) -> Any:
    """Revoke a token at once; requests carrying it are refused from now on."""
    token = auth.revoke_token(require_actor(), token_id, now=utcnow())
    db.session.commit()
    return token
