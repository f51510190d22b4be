"""Tables of the security layer: server-side sessions, rate-limit counters, the audit switch.

Sessions live in the database (not only in the signed cookie) so that signing out, an idle or
absolute timeout, or an administrator's "sign out everywhere" kills a copied cookie at once.
Rate-limit counters live in the database because gunicorn runs several workers: a counter in
one worker's memory would multiply the limit by the number of workers.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db
from core.time import utcnow


class UserSession(db.Model):
    """One signed-in browser session; the cookie carries the plain id, we keep its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    id_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class RateLimitHit(db.Model):
    """Requests counted for one key (e.g. `passport:203.0.113.7`) in one fixed window."""

    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class AuditMaintenance(db.Model):
    """While a row exists, DELETE on the audit log passes (test teardown only, like passports)."""

    __tablename__ = "audit_maintenance"

    id: Mapped[int] = mapped_column(primary_key=True)
