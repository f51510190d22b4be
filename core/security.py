"""Server-side sessions with timeouts and revocation, and a database-backed rate limiter.

Sessions: the signed cookie alone cannot be revoked — a copy stays valid until it expires.
So each sign-in creates a `UserSession` row with a fresh random id (a new id on every login:
no fixation); the cookie carries the plain id and the table only its SHA-256. Every request
checks the row: revoked (signed out, password changed, "sign out everywhere"), idle too long,
or older than the absolute lifetime → the cookie is dead. `last_seen_at` moves at most once per
`SEEN_RESOLUTION` so reads do not all become writes.

Rate limits: fixed windows counted with one upsert per request in the database, so the limit
holds across gunicorn workers and machines without Redis. The answer says when to come back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core import audit
from core.db import db
from core.errors import TooManyRequests
from core.security_models import RateLimitHit, UserSession

SEEN_RESOLUTION = timedelta(minutes=1)
MAX_WINDOW = timedelta(days=1)  # the longest rate-limit window; older counters are dropped


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session may sit unused (idle) and live at all (absolute)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def start_session(user_id: int, *, ip: str, now: datetime) -> str:
    """Record a new session for a user and return its plain id (for the signed cookie)."""
    plain = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user_id, id_hash=_digest(plain), created_at=now, last_seen_at=now, ip=ip[:45]
        )
    )
    return plain


def check_session(plain: str | None, user_id: int, *, now: datetime, policy: SessionPolicy) -> bool:
    """True when the cookie's session is live for this user; touches `last_seen_at`.

    A dead session is revoked on the spot so that it stays dead even if the clocks disagree.
    """
    if not plain:
        return False
    row = db.session.scalar(sa.select(UserSession).where(UserSession.id_hash == _digest(plain)))
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return False
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        row.revoked_at = now
        reason = "idle" if now - row.last_seen_at > policy.idle else "absolute"
        audit.record("session.expired", user_id=user_id, target=f"session:{row.id}", why=reason)
        db.session.commit()
        return False
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
        db.session.commit()
    return True


def end_session(plain: str | None, *, now: datetime) -> None:
    """Revoke the session a cookie carries (sign-out); unknown ids are ignored."""
    if not plain:
        return
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.id_hash == _digest(plain), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_all_sessions(user_id: int, *, now: datetime) -> int:
    """Revoke every live session of a user (password change, erasure, admin action)."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- rate limiting -------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `per_s` seconds for one key."""

    count: int
    per_s: int


def _window(now: datetime, per_s: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % per_s, tz=UTC)


def hit(key: str, limit: Limit, *, now: datetime) -> None:
    """Count one request for `key`; TooManyRequests (with Retry-After) past the limit.

    Written in its own transaction (an upsert, atomic on both backends) so the count survives
    whatever the request does afterwards, and concurrent workers never lose an increment.
    """
    if not 1 <= limit.per_s <= MAX_WINDOW.total_seconds():
        raise ValueError("rate-limit windows are between 1 s and one day")
    start = _window(now, limit.per_s)
    table = RateLimitHit.__table__
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(table).values(key=key[:120], window_start=start, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": table.c.count + 1}
        ).returning(table.c.count)
        count = int(conn.execute(stmt).scalar_one())
        if count == 1 and secrets.randbelow(50) == 0:  # now and then, forget old windows
            conn.execute(
                sa.delete(table).where(table.c.window_start < now - MAX_WINDOW - MAX_WINDOW)
            )
    if count > limit.count:
        retry = max(1, int((start + timedelta(seconds=limit.per_s) - now).total_seconds()) + 1)
        raise TooManyRequests("请求过于频繁，请稍后再试", retry_after=retry)
