"""The audit log: append-only, written in the caller's transaction unless told otherwise."""

from __future__ import annotations

from typing import Any

from core.db import db
from core.models import AuditEntry
from core.time import utcnow


def record(
    action: str,
    *,
    user_id: int | None = None,
    organization_id: int | None = None,
    target: str = "",
    ip: str = "",
    **detail: Any,
) -> AuditEntry:
    """Add an audit entry to the current session; the caller's commit makes it durable."""
    entry = AuditEntry(
        action=action,
        user_id=user_id,
        organization_id=organization_id,
        target=target[:200],
        ip=ip[:45],
        detail=detail,
    )
    db.session.add(entry)
    return entry


def record_now(action: str, **kwargs: Any) -> None:
    """Write an audit entry in its own transaction so it survives the caller's rollback.

    Denials and failed logins end in an error response whose work is rolled back; their audit
    entry must be kept all the same.
    """
    with db.engine.begin() as conn:
        conn.execute(
            AuditEntry.__table__.insert().values(
                action=action,
                user_id=kwargs.pop("user_id", None),
                organization_id=kwargs.pop("organization_id", None),
                target=str(kwargs.pop("target", ""))[:200],
                ip=str(kwargs.pop("ip", ""))[:45],
                detail=kwargs,
                at=utcnow(),
            )
        )
