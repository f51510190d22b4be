"""Time helpers: everything is stored in UTC and shown in the user's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current time, aware, in UTC (pass as a callable default; never call it at import)."""
    return datetime.now(UTC)


def to_local(value: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """Convert an aware datetime to the display zone; naive input is refused as ambiguous."""
    if value.tzinfo is None:
        raise ValueError("naive datetime has no zone to convert from")
    return value.astimezone(ZoneInfo(tz))
