"""Database handle shared by every package that owns tables.

`db` lives here rather than in the web shell so that `passport` and `station` can define
tables without importing `marketplace` (which would invert the dependency direction).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

# Named constraints from day one: Alembic cannot diff or drop unnamed constraints portably.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model of every package."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite has no time zones: a naive datetime comes back. We store naive UTC everywhere and
    hand back aware UTC, and refuse naive input so a local time can never be stored as UTC.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def local_day(col: Any) -> Any:
    """The Asia/Shanghai calendar day of a stored (naive UTC) timestamp, in SQL.

    China has kept UTC+8 without daylight saving since 1991, so the day is the date of the UTC
    time plus eight hours on every date the platform holds; a test checks it against `zoneinfo`
    around midnight.
    """
    if postgres():
        return sa.cast(col + sa.literal_column("INTERVAL '8 hours'", sa.Interval), sa.Date)
    return sa.func.date(col, "+8 hours")


def local_week(col: Any) -> Any:
    """The Monday of the Asia/Shanghai week of a stored timestamp (ISO weeks, as the price index
    counts them). SQLite's `weekday 0` moves to the coming Sunday (or stays on one); six days
    back is that week's Monday. SQLite answers an ISO date string, PostgreSQL a date."""
    if postgres():
        shifted = col + sa.literal_column("INTERVAL '8 hours'", sa.Interval)
        return sa.cast(sa.func.date_trunc("week", shifted), sa.Date)
    return sa.func.date(col, "+8 hours", "weekday 0", "-6 days")


def as_date(value: Any) -> date:
    """A day as SQL answered it: a date from PostgreSQL, an ISO string from SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def coordinate_checks() -> tuple[sa.CheckConstraint, sa.CheckConstraint]:
    """CHECK constraints for a table's WGS84 `lat`/`lon` columns (every located table has them)."""
    return (
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
    )


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: PostgreSQL-only indexes made by hand in migrations (`*_trgm`) are not
    in the models (SQLite cannot have them), so autogenerate must not try to drop them."""
    return not (
        type_ == "index" and reflected and compare_to is None and (name or "").endswith("_trgm")
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys and WAL for SQLite; other drivers are left alone."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
