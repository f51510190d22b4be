"""Reading several periods at once (`span.load_many`) gives each period exactly the records that
reading it alone (`sources.load`) gives, on both databases: the trend and the previous-period
column depend on it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core.db import db
from marketplace.dashboard import indicators, sources, span
from marketplace.dashboard.api import buckets
from marketplace.dashboard.records import Period
from station.models.flow import Stage, Weighing
from tests.marketplace.dashboard.test_api import cluster  # noqa: F401  (fixture)

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def _same(a, b) -> None:
    for name in ("lots", "trades", "weighings", "trips", "reports", "orgs"):
        assert sorted(map(repr, getattr(a, name))) == sorted(map(repr, getattr(b, name))), name
    assert a.period == b.period


@pytest.fixture
def reweighed_later(app, cluster):  # noqa: F811
    """A reading on 03-06 replaced on 03-20: in March only the replacement counts; by week
    each counts in its own week, since the replacement is not in the first one's."""
    station = db.session.scalar(sa.select(Weighing.station_id).limit(1))
    first = Weighing(
        station_id=station,
        stage=Stage.RECEIVE,
        gross_g=3_500_000,
        net_g=3_000_000,
        result="anomaly",
        created_at=datetime(2026, 3, 6, 5, tzinfo=UTC),
    )
    db.session.add(first)
    db.session.flush()
    db.session.add(
        Weighing(
            station_id=station,
            stage=Stage.RECEIVE,
            gross_g=3_200_000,
            net_g=2_700_000,
            result="normal",
            created_at=datetime(2026, 3, 20, 5, tzinfo=UTC),
            replaces_id=first.id,
        )
    )
    db.session.commit()
    return cluster


@pytest.mark.parametrize(("kind", "ident"), [("cluster", None), ("org", "p"), ("material", "PA")])
def test_many_periods_equal_one_by_one(app, reweighed_later, kind, ident) -> None:
    if ident == "p":
        ident = str(reweighed_later["p"].id)
    scope = sources.resolve_scope(kind, ident)
    weeks = buckets(Period(date(2026, 2, 15), date(2026, 3, 31)), "week")
    for periods in (weeks, [MARCH, sources.previous(MARCH)]):
        together = span.load_many(periods, scope)
        for p, recs in zip(periods, together, strict=True):
            alone = sources.load(p, scope)
            _same(recs, alone)
            assert indicators.compute(recs) == indicators.compute(alone)
    march = span.load_many([MARCH], scope)[0]
    if kind == "cluster":
        assert sum(w.count for w in march.weighings) == 4  # 6 readings, 2 replaced in March
        assert sum(sum(w.count for w in r.weighings) for r in span.load_many(weeks, scope)) == 5
