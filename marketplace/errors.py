"""Central error handling: every error becomes a clear 4xx (JSON for the API, a page otherwise).

JSON errors always have the shape `{"error": {"code", "message", "fields"}}`. Work of the failed
request is rolled back; denials are written to the audit log in their own transaction.
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from marshmallow import ValidationError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from core import audit
from core.db import db
from core.errors import DomainError, Unauthorized
from core.i18n import N_

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}
HTTP_MESSAGES = {
    400: N_("请求格式有误"),
    401: N_("请先登录"),
    403: N_("无权访问"),
    404: N_("页面或对象不存在"),
    405: N_("不支持该请求方法"),
    413: N_("上传内容过大"),
    415: N_("不支持的内容类型"),
    422: N_("请求参数有误"),
    429: N_("请求过于频繁，请稍后再试"),
    500: N_("服务器内部错误"),
    503: N_("服务暂时不可用，请稍后重试"),
}
# How long a client should wait before retrying while the database is unreachable: about the
# time a PostgreSQL restart or a fail-over takes.
UNAVAILABLE_RETRY_AFTER_S = 5


def wants_json() -> bool:
    """API paths always answer JSON; pages answer HTML."""
    return request.path.startswith("/api/") or request.path.startswith("/epcis/")


LOCATIONS = ("json", "query", "form", "files", "headers", "view_args", "querystring")


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow/webargs messages → {"field.sub": "first message"}, without the location key."""
    if not prefix and isinstance(messages, dict) and set(messages) <= set(LOCATIONS):
        out: dict[str, str] = {}
        for value in messages.values():  # webargs: {"json": {...}}; strip only this top level
            out.update(_flatten(value, ""))
        return out
    return _flatten(messages, prefix)


def _flatten(messages: Any, prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list | tuple):
        if messages and all(isinstance(m, str) for m in messages):
            out[prefix or "_schema"] = messages[0]
        else:
            for item in messages:
                out.update(_flatten(item, prefix))
    else:
        out[prefix or "_schema"] = str(messages)
    return out


def _respond(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response | tuple[Any, ...]:
    if wants_json():
        body = jsonify(error={"code": code, "message": message, "fields": fields or {}})
        return body, status, headers or {}
    html = render_template("errors/error.html", status=status, message=message, fields=fields or {})
    return html, status, headers or {}


def _fields_message(base: str, fields: dict[str, str]) -> str:
    return f"{base}：{', '.join(fields)}" if fields else base


# Lifecycle states that messages quote (批次状态为“%(status)s”): shown by name, not by code.
STATE_LABELS = {
    "draft": N_("草稿"),
    "listed": N_("已发布"),
    "awarded": N_("已成交"),
    "scheduled": N_("已安排提货"),
    "picked_up": N_("已提货"),
    "delivered": N_("已到货"),
    "settled": N_("已结算"),
    "closed": N_("已关闭"),
    "withdrawn": N_("已撤回"),
    "expired": N_("已流拍"),
    "cancelled": N_("已取消"),
    "disputed": N_("争议中"),
}
STATE_PARAMS = ("status", "current", "target")


def _params(err: DomainError) -> dict[str, Any]:
    # A feature whose states are named differently (service requests: 流标) attaches its own.
    labels = getattr(err, "state_labels", STATE_LABELS)
    return {
        k: gettext(labels[v]) if k in STATE_PARAMS and v in labels else v
        for k, v in err.params.items()
    }


def translated(err: DomainError) -> str:
    """The error's message in the user's language, with quoted states named, not coded."""
    return gettext(err.message, **_params(err))


def handle_domain_error(err: DomainError) -> Any:
    db.session.rollback()
    denial = getattr(err, "audit", None)
    if denial is not None:
        audit.record_now(
            "access.denied",
            ip=request.remote_addr or "",
            method=request.method,
            path=request.path,
            reason=err.message,
            **denial,
        )
    if isinstance(err, Unauthorized) and not wants_json():
        return redirect(url_for("auth.login"))
    retry_after = getattr(err, "retry_after", None)  # 429, and 503 from a refusing broker
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    message = translated(err)
    return _respond(err.status, err.code, message, err.fields, headers)


def handle_validation_error(err: ValidationError) -> Any:
    db.session.rollback()
    fields = flatten(err.messages)
    return _respond(422, "invalid", _fields_message(gettext("请求参数有误"), fields), fields)


def handle_http_exception(err: HTTPException) -> Any:
    db.session.rollback()
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    fields = flatten(data["messages"]) if "messages" in data else {}
    if status == 400 and fields.get("_schema", "").startswith("Invalid JSON"):
        fields = {"_body": "invalid JSON"}
        message = gettext("请求体不是有效的 JSON")
    else:
        message = _fields_message(gettext(HTTP_MESSAGES.get(status, N_("请求有误"))), fields)
    return _respond(status, HTTP_CODES.get(status, "error"), message, fields)


def handle_csrf_error(err: CSRFError) -> Any:
    db.session.rollback()
    return _respond(400, "csrf", gettext("表单已过期或缺少 CSRF 令牌，请刷新页面后重试"))


def is_disconnect(err: BaseException) -> bool:
    """Whether `err` means the database is unreachable (down, restarting, connection lost),
    not that the statement was wrong: those are worth a retry, the rest are bugs."""
    if isinstance(err, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(err, sa_exc.DBAPIError):
        if err.connection_invalidated:
            return True
        return isinstance(err, sa_exc.OperationalError | sa_exc.InterfaceError) and not isinstance(
            err, sa_exc.IntegrityError
        )
    return False


def handle_database_unavailable(err: sa_exc.SQLAlchemyError) -> Any:
    """The database went away mid-request: roll back what can be rolled back, answer 503 with
    Retry-After; the pool (pool_pre_ping) reconnects by itself once the server is back, so
    the process recovers without a restart. Anything else from SQLAlchemy is a bug: 500."""
    if not is_disconnect(err):
        return handle_unexpected(err)
    from flask import current_app

    with contextlib.suppress(sa_exc.SQLAlchemyError):  # the connection is gone; pool drops it
        db.session.rollback()
    db.session.remove()
    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(err).__name__
    )
    try:
        message = gettext(HTTP_MESSAGES[503])
    except sa_exc.SQLAlchemyError:  # the user's language is looked up in the database, too
        message = HTTP_MESSAGES[503]
    headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)}
    if wants_json():
        return _respond(503, "unavailable", message, headers=headers)
    # Not the site layout: it asks the database who is signed in, and the database is down.
    page = (
        f"<!doctype html><meta charset=utf-8><title>503</title><h1>503</h1><p>{escape(message)}</p>"
    )
    return page, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}


def handle_unexpected(err: Exception) -> Any:
    with contextlib.suppress(sa_exc.SQLAlchemyError):
        db.session.rollback()
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(500, "internal", gettext(HTTP_MESSAGES[500]))


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; called after the API extension so these replace its JSON shape."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa_exc.SQLAlchemyError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
