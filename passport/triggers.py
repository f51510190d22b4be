"""Database triggers that make the passport's append-only tables append-only in the database.

A code path that updates or deletes a stored event, chain entry, log node, checkpoint or error
declaration is refused by the database itself, on PostgreSQL (a PL/pgSQL trigger function;
TRUNCATE refused too) and on SQLite (``RAISE(ABORT)`` triggers), so a bug or a raw SQL
statement cannot quietly rewrite history. Someone with the rights to drop triggers can of
course still do so; that is what the signed checkpoints make detectable.

**Maintenance switch (tests only).** The test suite empties every table after each test. While
a row exists in ``passport_maintenance``, DELETE (never UPDATE) passes; ``wipe`` inserts it,
empties the append-only tables and removes it again, all in the caller's transaction. Nothing
but ``tests/conftest.py`` calls it.

The migration (0013) creates and drops the triggers with ``create_sql`` / ``drop_sql``.
"""

from __future__ import annotations

import sqlalchemy as sa

from passport.models import APPEND_ONLY

MESSAGE = "passport tables are append-only"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION passport_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM passport_maintenance) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def create_sql(dialect: str) -> list[str]:
    """The statements that install the guards on every append-only table."""
    if dialect == "postgresql":
        statements = [PG_FUNCTION]
        for table in APPEND_ONLY:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION passport_append_only()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION passport_append_only()"
            )
        return statements
    statements = []
    for table in APPEND_ONLY:
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE on {table} refused'); END"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "WHEN NOT EXISTS (SELECT 1 FROM passport_maintenance) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE on {table} refused'); END"
        )
    return statements


def drop_sql(dialect: str) -> list[str]:
    """The statements that remove the guards (downgrade)."""
    if dialect == "postgresql":
        statements = []
        for table in APPEND_ONLY:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return [*statements, "DROP FUNCTION IF EXISTS passport_append_only()"]
    return [
        f"DROP TRIGGER IF EXISTS {table}_{what}"
        for table in APPEND_ONLY
        for what in ("no_update", "no_delete")
    ]


def wipe(conn: sa.Connection) -> None:
    """Empty the append-only tables (test teardown only; see the module docstring)."""
    conn.execute(sa.text("INSERT INTO passport_maintenance (id) VALUES (1)"))
    for table in (
        "passport_error_declarations",
        "passport_checkpoint_heads",
        "passport_checkpoints",
        "passport_chain_entries",
        "passport_event_epcs",
        "passport_events",
        "passport_log_nodes",
    ):
        conn.execute(sa.text(f"DELETE FROM {table}"))
    conn.execute(sa.text("DELETE FROM passport_maintenance"))
