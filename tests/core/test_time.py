"""Times are stored as UTC and come back timezone-aware on every backend."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from core.db import db
from core.models import LoginAttempt
from core.time import to_local, utcnow

SHANGHAI = timezone(timedelta(hours=8))


def test_utcnow_is_aware() -> None:
    assert utcnow().tzinfo is UTC


def test_to_local_shows_shanghai_time() -> None:
    assert to_local(datetime(2026, 1, 1, 16, 0, tzinfo=UTC)).hour == 0
    with pytest.raises(ValueError, match="naive"):
        to_local(datetime(2026, 1, 1))


def test_aware_times_round_trip_as_utc(app) -> None:
    local = datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI)
    db.session.add(LoginAttempt(username="x", ip="1.2.3.4", succeeded=True, at=local))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(sa.select(LoginAttempt.at))
    assert stored == local
    assert stored.tzinfo == UTC
    assert stored.hour == 0


def test_naive_times_are_refused(app) -> None:
    db.session.add(
        LoginAttempt(username="x", ip="1.2.3.4", succeeded=True, at=datetime(2026, 1, 1))
    )
    with pytest.raises(StatementError, match="naive"):
        db.session.flush()
    db.session.rollback()
