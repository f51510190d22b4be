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
    """A reading on 03-06 replaced on 03-20: only the replacement counts, in March and by week
    (a 复称 corrects the record: the replaced reading leaves its own day, as on the drill-down)."""
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
        assert sum(sum(w.count for w in r.weighings) for r in span.load_many(weeks, scope)) == 4


def test_dealing_rows_to_periods_equals_testing_every_period() -> None:
    """The bisection only skips periods the predicates would refuse, boundary stamps included
    (pure: random trades and lots over adjacent weeks, and over a month and the one before)."""
    import random
    from datetime import timedelta

    from marketplace.dashboard.records import LotRec, TradeRec

    rng = random.Random(11)
    weeks = buckets(Period(date(2026, 1, 1), date(2026, 3, 31)), "week")
    edges = [b for p in weeks for b in span.utc_bounds(p)]

    def stamp():
        if rng.random() < 0.3:
            return rng.choice(edges)  # exactly on a period's bound
        return datetime(2025, 12, 20, tzinfo=UTC) + timedelta(minutes=rng.randrange(150_000))

    def maybe():
        return stamp() if rng.random() < 0.6 else None

    trades = [
        TradeRec(i, i, 1, 2, "PA", 1, 1, stamp(), delivered_at=maybe(), closed_at=maybe())
        for i in range(400)
    ]
    lots = [LotRec(i, 1, "PA", 1, listed_at=maybe(), sale_closed_at=maybe()) for i in range(400)]
    for periods in (weeks, [MARCH, sources.previous(MARCH)]):
        bounds = [span.utc_bounds(p) for p in periods]
        for rows, rng_of, keep in (
            (trades, span._trade_range, span._trade_in),
            (lots, span._lot_range, span._lot_in),
        ):
            dealt = span._deal(rows, bounds, rng_of, keep)
            for i, (lo, hi) in enumerate(bounds):
                assert dealt[i] == [r for r in rows if keep(r, lo, hi)]
