"""The audit log made append-only by the database, and the queries the admin page runs.

Like the passport tables (`passport/triggers.py`), `audit_log` refuses UPDATE and DELETE in the
database itself — on PostgreSQL with a PL/pgSQL trigger (TRUNCATE too), on SQLite with
`RAISE(ABORT)` triggers — so neither a bug nor a raw statement rewrites who did what. The test
suite's teardown empties it through `wipe`, which sets the `audit_maintenance` switch for the
length of its own DELETE; nothing else calls it. Erasing a person's data (PIPL) never touches
the log: entries hold ids, and the ids stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.db import db
from core.models import AuditEntry, User

MESSAGE = "audit log is append-only"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_maintenance) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def create_sql(dialect: str) -> list[str]:
    """The statements that install the guards (migration 0019)."""
    if dialect == "postgresql":
        return [
            PG_FUNCTION,
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
        ]
    return [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END",
    ]


def drop_sql(dialect: str) -> list[str]:
    """The statements that remove the guards (downgrade)."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
            "DROP FUNCTION IF EXISTS audit_append_only()",
        ]
    return [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ]


def wipe(conn: sa.Connection) -> None:
    """Empty the audit log (test teardown only; see the module docstring)."""
    conn.execute(sa.text("INSERT INTO audit_maintenance (id) VALUES (1)"))
    conn.execute(sa.text("DELETE FROM audit_log"))
    conn.execute(sa.text("DELETE FROM audit_maintenance"))


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the admin page filters on; empty fields filter nothing."""

    action: str = ""
    user: str = ""
    organization_id: int | None = None
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _query(f: AuditFilter) -> sa.Select[Any]:
    stmt = sa.select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
    if f.action:
        # "login" matches login.success, login.failure, login.throttled
        stmt = stmt.where(
            sa.or_(AuditEntry.action == f.action, AuditEntry.action.startswith(f.action + "."))
        )
    if f.user:
        stmt = stmt.where(User.username == f.user.strip().lower())
    if f.organization_id is not None:
        stmt = stmt.where(AuditEntry.organization_id == f.organization_id)
    if f.target:
        stmt = stmt.where(AuditEntry.target.contains(f.target, autoescape=True))
    if f.since is not None:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt.order_by(AuditEntry.id.desc())


def search(f: AuditFilter, *, limit: int, offset: int = 0) -> list[tuple[AuditEntry, str | None]]:
    """A page of entries, newest first, with the acting user's name."""
    rows = db.session.execute(_query(f).limit(limit).offset(offset)).all()
    return [(row[0], row[1]) for row in rows]


def actions() -> list[str]:
    """Every action kind recorded so far (the filter's choices)."""
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by("action")))


EXPORT_HEADER = ("id", "at_utc", "action", "user_id", "username", "organization_id", "target")
EXPORT_HEADER_TAIL = ("ip", "detail")


def export_rows(f: AuditFilter) -> Iterator[list[Any]]:
    """Header then one row per entry, for CSV/XLSX (cells are escaped by core.tabular)."""
    import json

    yield [*EXPORT_HEADER, *EXPORT_HEADER_TAIL]
    for entry, username in db.session.execute(_query(f).execution_options(yield_per=500)):
        yield [
            entry.id,
            entry.at.isoformat(),
            entry.action,
            entry.user_id,
            username or "",
            entry.organization_id,
            entry.target,
            entry.ip,
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, default=str),
        ]
