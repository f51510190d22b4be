"""Access rules declared on every view and enforced before it runs; no rule means no access.

Each view states who may call it with `@access(...)`. A before-request hook checks the rule
before the view runs, so a view that forgets its rule is refused rather than open, and the
role × endpoint test in `tests/marketplace/test_access.py` fails until the rule is written.
Object-level checks (whose lot is this?) stay in the services, through `core.auth`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import current_user

from core.access import ALL_KINDS, Rule, access
from core.auth import Actor
from core.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
__all__ = ["ALL_KINDS", "SAFE_METHODS", "Rule", "access", "current_actor", "enforce"]


def rule_for(app: Flask, endpoint: str) -> Rule | None:
    """The rule declared on an endpoint's view (static files and the OpenAPI JSON are public)."""
    if endpoint == "static" or endpoint.endswith(".static") or endpoint.startswith("api-docs."):
        return Rule(public=True)
    view = app.view_functions.get(endpoint)
    return getattr(view, "__access__", None)


def current_actor() -> Actor | None:
    """The signed-in user's actor, cached for the request."""
    if not current_user.is_authenticated:
        return None
    if "actor" not in g:
        g.actor = Actor.of(current_user)
    return g.actor


def require_actor() -> Actor:
    """The actor of a view that is not public (the hook has already checked it exists)."""
    actor = current_actor()
    if actor is None:
        raise Unauthorized("请先登录")
    return actor


def enforce() -> Any:
    """Before-request hook: apply the endpoint's rule."""
    if request.endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    rule = rule_for(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule; refusing", request.endpoint)
        raise Forbidden("该功能尚未开放")
    actor = current_actor()
    if "auth_error" in g:
        raise g.auth_error
    if rule.public:
        return None
    if actor is None:
        if request.path.startswith(("/api/", "/epcis/")):
            raise Unauthorized("请先登录或提供访问令牌")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    target = f"endpoint:{request.endpoint}"
    if actor.is_government and request.method not in SAFE_METHODS and not rule.self_service:
        err = Forbidden("政府账户为只读")
    elif not rule.admits(actor):
        err = Forbidden("您的账户无权使用该功能")
    else:
        return None
    err.audit = {"user_id": actor.user_id, "organization_id": actor.org_id, "target": target}  # type: ignore[attr-defined]
    raise err
