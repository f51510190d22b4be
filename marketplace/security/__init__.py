"""The web edge of security: headers on every response, rate limits on public endpoints,
object-level denials in the audit log, the admin audit page and the PII commands.

`install(app)` is called by the app factory after the blueprints are registered. The rules
themselves (sessions, limiter, the append-only log, masking) are in `core.security*`; this
package only applies them to requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

from core import audit, security
from core.time import utcnow

# Endpoint → limit group (see RATE_LIMITS in marketplace.config). Every public endpoint that
# does work per request is either here or in RATE_EXEMPT (tests/marketplace/test_security.py
# fails for a public endpoint in neither).
RATE_LIMITED = {
    "auth.login_submit": "login",
    "passport.lot_page": "passport",
    "passport.digital_link_gtin": "passport",
    "passport.digital_link_sscc": "passport",
    "passport.bundle": "passport",
    "passport.label": "passport",
    "passport.verify": "passport",
    "passport.checkpoints": "passport",
    "passport.latest_checkpoint": "passport",
    "passport.public_key": "passport",
    "trades_api.get_certificate": "certificate",
    "trades_api.certificate_pdf": "certificate",
    "trade_pages.certificate": "certificate",
}
# Static files and pages that read nothing per request beyond a template.
RATE_EXEMPT = frozenset(
    {"static", "station.static", "home.index", "home.health", "auth.login", "docs.api_docs"}
)


def content_security_policy(endpoint: str | None) -> str:
    """No inline script anywhere, no framing; style attributes only (no <style> blocks).

    Map tiles come from the configured tile server's origin when there is one. The API docs
    page (Swagger UI) renders its icons as data: images, which every page may use anyway.
    """
    img = ["'self'", "data:", "blob:"]
    tiles = current_app.config.get("MAP_TILE_URL")
    if tiles:
        parts = urlsplit(tiles.replace("{", "").replace("}", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            img.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "style-src-elem 'self'",
            "style-src-attr 'unsafe-inline'",
            f"img-src {' '.join(img)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(response: Response) -> Response:
    """Headers every response carries (set unless a view chose a stricter one)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(request.endpoint))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if "Cache-Control" not in headers and g.get("actor") is not None:
        headers["Cache-Control"] = "no-store"  # signed-in pages are not for shared caches
    return response


def rate_limit() -> None:
    """Before-request hook: count the request against its endpoint's group, per address."""
    group = RATE_LIMITED.get(request.endpoint or "")
    if group is None or not current_app.config.get("RATE_LIMIT_ENABLED", True):
        return
    count, per_s = current_app.config["RATE_LIMITS"][group]
    address = request.remote_addr or "unknown"
    try:
        security.hit(f"{group}:{address}", security.Limit(count, per_s), now=utcnow())
    except Exception as err:
        if getattr(err, "status", None) == 429 and not g.get("rate_audited"):
            g.rate_audited = True
            audit.record_now("rate.limited", target=f"{group}:{address}", ip=address)
        raise


def audit_object_denial(response: Response) -> Response:
    """A signed-in user answered 404 on an object route is recorded like a 403 is.

    Services hide another organisation's objects behind 404 (so ids cannot be probed); the log
    still shows who probed which object. 403s are recorded where they are raised.
    """
    actor = g.get("actor")
    audited = g.get("denial_audited")
    if response.status_code == 404 and actor is not None and request.view_args and not audited:
        audit.record_now(
            "access.not_found",
            user_id=actor.user_id,
            organization_id=actor.org_id,
            target=f"endpoint:{request.endpoint}",
            ip=request.remote_addr or "",
            method=request.method,
            path=request.path,
        )
    return response


def install(app: Flask) -> None:
    """Register the hooks, the admin audit pages and the PII commands."""
    from marketplace.security import admin_views, objects, pii_cli

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.before_request(rate_limit)
    app.before_request(objects.guard_writes)
    app.after_request(audit_object_denial)
    app.after_request(security_headers)
    app.register_blueprint(admin_views.bp)
    app.cli.add_command(pii_cli.pii_cli)


__all__: list[Any] = ["RATE_EXEMPT", "RATE_LIMITED", "content_security_policy", "install"]
