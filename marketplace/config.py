"""Configuration from the environment, with explicit defaults for a zero-setup start.

| variable | default | meaning |
|---|---|---|
| DATABASE_URL | `instance/huanlian.sqlite3` | any SQLAlchemy URL; `postgresql://` → psycopg 3 |
| SECRET_KEY | generated once into `instance/secret_key` | signs sessions and CSRF tokens |
| TIMEZONE | Asia/Shanghai | zone times are shown in (storage is always UTC) |
| BROKER_URL | unset: jobs run in-process | Celery broker: redis://127.0.0.1:6379/0, amqp://… |
| MQTT_URL | unset | fill-level sensors (`flask dispatch fill-listen`): mqtt://127.0.0.1:1883 |
| SESSION_COOKIE_SECURE | 1 when PUBLIC_BASE_URL is https, else 0 | cookies only over HTTPS |
| HUANLIAN_ENV | development | `production` refuses to start without real secrets |
| PUBLIC_BASE_URL | http://127.0.0.1:5000 | the platform's address; e-mail links start with it |
| SMTP_HOST | unset: no e-mail | mail server for notifications; also SMTP_PORT (587), |
|  |  | SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_STARTTLS (1) |

Any key can also be overridden by a `FLASK_<KEY>` variable (Flask's `from_prefixed_env`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": ["zh", "en"],
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in a before_request hook except for bearer tokens
    "WTF_CSRF_TIME_LIMIT": None,  # the session's own lifetime bounds the token
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    # Server-side sessions (core.security): dead after this long unused, and this long at all.
    "SESSION_IDLE_TIMEOUT_S": 30 * 60,
    "SESSION_ABSOLUTE_TIMEOUT_S": 12 * 3600,
    # Public endpoints, per client address: requests per window (seconds); see
    # marketplace.security.limits.
    "RATE_LIMITS": {"passport": [120, 60], "login": [60, 60], "certificate": [60, 60]},
    # Reverse proxies in front of gunicorn whose X-Forwarded-For is trusted (werkzeug ProxyFix);
    # without it every client behind nginx would share the proxy's address and its limits.
    "TRUSTED_PROXIES": 0,
    "RATE_LIMIT_ENABLED": True,
    "API_TITLE": "Huanlian 环链 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_TOKEN_DAYS": 90,
    "PER_PAGE_MAX": 100,
    # Lot search counts matches exactly up to this many (see marketplace.pagination.paginate).
    "SEARCH_COUNT_LIMIT": 1_000,
    "JSON_SORT_KEYS": False,
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,  # the largest evidence file (20 MB) plus form fields
    # Without a broker, the web process runs scheduled jobs itself (closing sales, settling);
    # tests switch it off and drive the jobs directly.
    "SCHEDULER_IN_PROCESS": True,
    "SCHEDULER_TICK_S": 5,
    # How long a weighing waits for the scale to settle before refusing (seconds).
    "STATION_SCALE_WAIT_S": 5,
    # How long a buyer may dispute a delivery before it settles by itself (hours).
    "DISPUTE_WINDOW_HOURS": 72,
    # Webhooks: per-request timeout, endpoints disabled after this many failed attempts in a row;
    # loopback (tests' receivers) and listed networks (CIDRs) are refused unless allowed here.
    "WEBHOOK_TIMEOUT_S": 5,
    "WEBHOOK_DISABLE_AFTER": 15,
    "WEBHOOK_ALLOW_HTTP_LOOPBACK": False,
    "WEBHOOK_ALLOWED_NETWORKS": [],
    # The dashboard's independent reads at once on PostgreSQL, in one snapshot (see
    # marketplace.dashboard.sql.gather); off: one after the other.
    "DASHBOARD_PARALLEL_READS": True,
}


def database_url(raw: str | None, instance_path: Path) -> str:
    """Default to a SQLite file; send `postgresql://` URLs to the psycopg 3 driver."""
    if not raw:
        return f"sqlite:///{instance_path / 'huanlian.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else generated on first run into the instance folder.

    Never a hard-coded fallback: a known key lets anyone forge sessions.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = instance_path / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def cookie_secure(env: Any) -> bool:
    """Secure cookies when asked, and by default when the platform is served over HTTPS."""
    raw = env.get("SESSION_COOKIE_SECURE")
    if raw is not None:
        return raw == "1"
    return str(env.get("PUBLIC_BASE_URL", "")).startswith("https://")


# Values that appear in this repository's docs, tests and benchmarks, or are commonly guessed.
KNOWN_SECRETS = frozenset(
    {"", "dev", "test", "test-secret", "bench", "secret", "changeme", "change-me", "huanlian"}
)
MIN_SECRET_LENGTH = 32


class InsecureConfig(RuntimeError):
    """Raised at start-up in production when a secret is missing or a known default."""


def check_production(config: dict[str, Any], environ: Any = None) -> None:
    """Refuse to start in production with a missing, short or default secret, or open cookies.

    In production the SECRET_KEY must come from the environment (a key generated into one
    machine's instance folder differs between the machines behind a load balancer), and every
    configured credential (SMTP password) must not be a placeholder.
    """
    environ = os.environ if environ is None else environ
    problems = []
    key = str(config.get("SECRET_KEY") or "")
    if not environ.get("SECRET_KEY"):
        problems.append("SECRET_KEY is not set in the environment")
    if key.lower() in KNOWN_SECRETS or len(key) < MIN_SECRET_LENGTH:
        problems.append(f"SECRET_KEY is a default or shorter than {MIN_SECRET_LENGTH} characters")
    smtp_login = config.get("SMTP_HOST") and config.get("SMTP_USER")
    if smtp_login and str(config.get("SMTP_PASSWORD", "")).lower() in KNOWN_SECRETS:
        problems.append("SMTP_PASSWORD is missing or a default")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off (production is served over HTTPS)")
    if problems:
        raise InsecureConfig("refusing to start in production: " + "; ".join(problems))


def from_env(instance_path: Path) -> dict[str, Any]:
    """The settings the environment decides."""
    env = os.environ
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "SECRET_KEY": secret_key(instance_path),
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "BROKER_URL": env.get("BROKER_URL") or None,
        "MQTT_URL": env.get("MQTT_URL") or None,
        "SESSION_COOKIE_SECURE": cookie_secure(env),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "PRODUCTION": env.get("HUANLIAN_ENV", "development") == "production",
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": int(env.get("SMTP_PORT") or 587),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": env.get("SMTP_FROM", ""),
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "1") != "0",
    }
