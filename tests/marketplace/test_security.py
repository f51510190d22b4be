"""Issue 12 (security): sessions, headers, rate limits, production secrets, CSRF on every form."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import AuditEntry
from core.security_models import UserSession
from core.time import utcnow
from marketplace import config as app_config
from marketplace.access import rule_for
from marketplace.security import RATE_EXEMPT, RATE_LIMITED
from tests.factories import csrf_token, login, make_user


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def signed_in(app, user=None):
    user = user or make_user()
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    return user, client


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


# --- sessions ---------------------------------------------------------------------------


def test_login_starts_a_new_server_side_session_each_time(app) -> None:
    user, first = signed_in(app)
    _, second = signed_in(app, user)
    rows = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(rows) == 2
    assert len({r.id_hash for r in rows}) == 2
    assert session_cookie(first) != session_cookie(second)


def test_a_session_id_planted_before_login_is_replaced(app) -> None:
    """Session fixation: whatever the browser carried before signing in is not kept."""
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["sid"] = "attacker-chosen"
    login(client, user.username)
    with client.session_transaction() as sess:
        assert sess["sid"] != "attacker-chosen"


def test_a_copied_cookie_is_dead_after_logout(app) -> None:
    _, client = signed_in(app)
    stolen = session_cookie(client)
    token = csrf_token(client, "/home")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_idle_and_absolute_timeouts_end_the_session(app, column) -> None:
    user, client = signed_in(app)
    assert client.get("/home").status_code == 200
    limit = {"last_seen_at": 31 * 60, "created_at": 12 * 3600 + 60}[column]
    past = utcnow() - timedelta(seconds=limit)
    values = {"last_seen_at": past, "created_at": past}
    if column == "last_seen_at":
        values.pop("created_at")
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id).values(values))
    db.session.commit()
    response = client.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "session.expired" in actions()
    db.session.expire_all()
    assert db.session.scalar(sa.select(UserSession.revoked_at)) is not None


def test_timeouts_are_configurable(app) -> None:
    app.config["SESSION_IDLE_TIMEOUT_S"] = 120
    _user, client = signed_in(app)
    past = utcnow() - timedelta(seconds=90)
    db.session.execute(sa.update(UserSession).values(last_seen_at=past))
    db.session.commit()
    assert client.get("/home").status_code == 200  # 90 s < 120 s
    db.session.execute(sa.update(UserSession).values(last_seen_at=past - timedelta(seconds=60)))
    db.session.commit()
    assert client.get("/home").status_code == 302


def test_session_cookie_is_httponly_samesite_and_secure_over_https(app) -> None:
    user = make_user()
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"username": user.username, "password": "correct horse battery", "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # checked over HTTPS (WTF_CSRF_SSL_STRICT)
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_cookies_are_secure_by_default_when_served_over_https() -> None:
    assert app_config.cookie_secure({"PUBLIC_BASE_URL": "https://huanlian.example"}) is True
    assert app_config.cookie_secure({"PUBLIC_BASE_URL": "http://127.0.0.1:5000"}) is False
    assert (
        app_config.cookie_secure({"SESSION_COOKIE_SECURE": "0", "PUBLIC_BASE_URL": "https://x"})
        is False
    )


# --- CSRF on every form --------------------------------------------------------------------


def form_posts(app):
    """Every cookie-session POST route (pages, not the bearer-token API)."""
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith(("/api/", "/epcis/")):
            yield rule


def test_every_form_post_without_the_csrf_token_is_refused(app) -> None:
    """Enumerated from the URL map: a new form route is covered the day it is added."""
    from tests.marketplace.test_access import fill

    _, client = signed_in(app)
    failures = []
    posts = list(form_posts(app))
    assert len(posts) > 40
    for rule in posts:
        response = client.post(fill(rule, 1), data={"x": "1"})
        body = response.get_data(as_text=True)
        if response.status_code != 400 or "CSRF" not in body:
            failures.append(f"{rule.rule}: {response.status_code}")
    assert not failures, failures


def test_login_form_without_csrf_token_is_refused(app) -> None:
    user = make_user()
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": "x" * 12})
    assert response.status_code == 400


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/v1/me", "/no-such-page", "/static/css/app.css"]
)
def test_security_headers_on_every_response(client, path) -> None:
    response = client.get(path)
    response.close()
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_templates_have_no_inline_scripts_or_event_handlers() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    paths = [
        p for pkg in ("marketplace", "station", "passport") for p in (root / pkg).rglob("*.html")
    ]
    assert len(paths) > 30
    for path in paths:
        text = path.read_text()
        for m in re.finditer(r"<script\b([^>]*)>", text):
            if "src=" not in m.group(1):
                offenders.append(f"{path}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            offenders.append(f"{path}: event handler attribute or javascript: URL")
    assert not offenders, offenders


def test_map_tile_origin_is_allowed_for_images(app, client) -> None:
    app.config["MAP_TILE_URL"] = "https://tiles.example:8443/{z}/{x}/{y}.png"
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tiles.example:8443" in csp


def test_signed_in_pages_are_not_cached(app) -> None:
    _, client = signed_in(app)
    assert client.get("/home").headers["Cache-Control"] == "no-store"


# --- rate limits on public endpoints -------------------------------------------------------


def test_every_public_endpoint_is_rate_limited_or_exempt(app) -> None:
    public = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if (rule := rule_for(app, r.endpoint)) is not None
        and rule.public
        and not r.endpoint.startswith("api-docs.")
    }
    assert not public - set(RATE_LIMITED) - RATE_EXEMPT, "rate-limit or exempt these"


def test_passport_scans_are_limited_per_address_with_retry_after(app) -> None:
    app.config["RATE_LIMITS"] = dict(app.config["RATE_LIMITS"], passport=[3, 86_400])
    client = app.test_client()
    codes = [client.get("/lot/HL-NOPE").status_code for _ in range(3)]
    assert 429 not in codes
    refused = client.get("/lot/HL-NOPE/bundle.json")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 86_401
    other = client.get("/lot/HL-NOPE", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code != 429  # another address has its own budget
    assert "rate.limited" in actions()


def test_the_limit_holds_across_workers(app, database_url, tmp_path) -> None:
    """Two app instances (two gunicorn workers) on one database share one counter."""
    from tests.conftest import make_app

    other = make_app(database_url, tmp_path / "w2")
    for a in (app, other):
        a.config["RATE_LIMITS"] = dict(a.config["RATE_LIMITS"], passport=[4, 86_400])
    codes = []
    for i in range(6):
        codes.append((app if i % 2 else other).test_client().get("/lot/HL-X").status_code)
    with other.app_context():
        db.engine.dispose()
    assert codes[:4].count(429) == 0
    assert codes[4:] == [429, 429]


def test_login_posts_are_limited_per_address(app) -> None:
    app.config["RATE_LIMITS"] = dict(app.config["RATE_LIMITS"], login=[2, 86_400])
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post(
            "/login", data={"username": "a", "password": "b" * 10, "csrf_token": token}
        ).status_code
        for _ in range(3)
    ]
    assert codes[:2] == [401, 401]
    assert codes[2] == 429


# --- production start ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "config", "problem"),
    [
        ({}, {"SECRET_KEY": "x" * 40, "SESSION_COOKIE_SECURE": True}, "not set"),
        ({"SECRET_KEY": "dev"}, {"SECRET_KEY": "dev", "SESSION_COOKIE_SECURE": True}, "default"),
        (
            {"SECRET_KEY": "s" * 40},
            {"SECRET_KEY": "s" * 40, "SESSION_COOKIE_SECURE": False},
            "COOKIE",
        ),
        (
            {"SECRET_KEY": "s" * 40},
            {
                "SECRET_KEY": "s" * 40,
                "SESSION_COOKIE_SECURE": True,
                "SMTP_HOST": "m",
                "SMTP_USER": "u",
            },
            "SMTP_PASSWORD",
        ),
    ],
)
def test_production_refuses_missing_or_default_secrets(environ, config, problem) -> None:
    with pytest.raises(app_config.InsecureConfig, match=problem):
        app_config.check_production(config, environ)


def test_production_starts_with_real_secrets(monkeypatch, tmp_path) -> None:
    from marketplace import create_app

    monkeypatch.setenv("HUANLIAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://huanlian.example")
    with pytest.raises(app_config.InsecureConfig):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_behind_a_trusted_proxy_the_client_address_is_limited(database_url, tmp_path) -> None:
    from tests.conftest import make_app

    proxied = make_app(database_url, tmp_path, TRUSTED_PROXIES=1)
    proxied.config["RATE_LIMITS"] = dict(proxied.config["RATE_LIMITS"], passport=[1, 86_400])
    client = proxied.test_client()
    with proxied.app_context():
        try:
            first = client.get("/lot/HL-X", headers={"X-Forwarded-For": "198.51.100.1"})
            second = client.get("/lot/HL-X", headers={"X-Forwarded-For": "198.51.100.2"})
            third = client.get("/lot/HL-X", headers={"X-Forwarded-For": "198.51.100.1"})
            assert (first.status_code, second.status_code) == (404, 404)
            assert third.status_code == 429
        finally:
            from core.security_audit import wipe

            with db.engine.begin() as conn:
                wipe(conn)
                conn.execute(sa.text("DELETE FROM rate_limit_hits"))
            db.engine.dispose()
