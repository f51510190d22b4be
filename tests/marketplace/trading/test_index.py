"""The weekly price index: a volume-weighted median, robust to one odd trade."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.trading.index import Cleared, reference, weekly, weighted_median
from marketplace.trading.prices import cleared, references_for, weekly_prices


def test_weighted_median() -> None:
    assert weighted_median([(100, 1), (200, 1), (300, 1)]) == 200
    assert weighted_median([(100, 10), (900, 1)]) == 100  # volume decides, not count
    assert weighted_median([(100, 1), (200, 1)]) == 100  # lower median on a tie
    with pytest.raises(ValueError, match="volume"):
        weighted_median([])


def test_weekly_points_per_grade_and_iso_week() -> None:
    trades = [
        Cleared("PA-OCC", date(2026, 11, 16), 160_000, 10_000_000),  # Monday
        Cleared("PA-OCC", date(2026, 11, 22), 170_000, 2_000_000),  # Sunday, same week
        Cleared("PA-OCC", date(2026, 11, 23), 999_999, 100_000),  # next week, one odd trade
        Cleared("PA-OCC", date(2026, 11, 24), 165_000, 5_000_000),
        Cleared("PL-PP-REGRIND", date(2026, 11, 18), 520_000, 1_000_000),
    ]
    points = weekly(trades)
    assert [(p.grade, p.week.isoformat(), p.price_fen_per_t, p.n_trades) for p in points] == [
        ("PA-OCC", "2026-11-16", 160_000, 2),
        ("PA-OCC", "2026-11-23", 165_000, 2),
        ("PL-PP-REGRIND", "2026-11-16", 520_000, 1),
    ]
    assert points[0].volume_g == 12_000_000


def test_a_trade_is_measured_against_the_last_complete_week_within_four() -> None:
    prices = {("PA-OCC", date(2026, 11, 2)): 150_000, ("PA-OCC", date(2026, 11, 16)): 160_000}
    # made on Wednesday 2026-11-25: its own week (11-23) is still moving; 11-16 is the last
    assert reference(prices, "PA-OCC", date(2026, 11, 25)) == 160_000
    # made in the week of 11-16 itself: the week before had none, 11-02 is within four
    assert reference(prices, "PA-OCC", date(2026, 11, 22)) == 150_000
    assert reference(prices, "PA-OCC", date(2026, 11, 2)) is None  # nothing before it
    assert reference(prices, "PA-OCC", date(2026, 12, 21)) is None  # 11-16 is five weeks back
    assert reference(prices, "PL-PP-REGRIND", date(2026, 11, 25)) is None


@pytest.fixture
def settled_market(app, catalogue):
    """150 trades in two grades over six weeks: repeated prices (ties in the running volume),
    settlements on the stroke of local Monday midnight and one second before, quality
    deductions, trades unpaid or not yet settled (not in the index)."""
    import random

    from core.catalogue import Category
    from core.db import db
    from core.enums import OrgKind
    from core.models import Site
    from marketplace.trading.models import TradeStatus
    from tests.factories import closed_lot, make_org, trade_of

    rng = random.Random(3)
    seller, buyer = make_org(OrgKind.PRODUCER), make_org(OrgKind.RECYCLER)
    site = Site(organization=seller, name="厂", address="长安", lat=22.8, lon=113.8)
    db.session.add(site)
    grades = list(
        db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None)).limit(2))
    )
    monday = datetime(2026, 3, 1, 16, tzinfo=UTC)  # Monday 03-02 00:00 in Shanghai
    for n in range(150):
        cat = grades[n % 2]
        if n % 10 == 0:
            settled = monday + timedelta(weeks=rng.randrange(6), seconds=-(n % 20 == 0))
        else:
            settled = monday + timedelta(minutes=rng.randrange(6 * 7 * 24 * 60))
        lot = closed_lot(
            seller.id, site.id, cat, rng.randrange(1, 8) * 500_000, settled - timedelta(days=3)
        )
        price = rng.choice([100_000, 120_000, 150_000, 150_000, 180_000])
        paid = price * lot.quantity_g // 1_000_000
        deduction = rng.choice([0, 0, paid // 10])
        trade_of(
            lot,
            buyer.id,
            price,
            settled - timedelta(days=2),
            status=rng.choice([TradeStatus.CLOSED, TradeStatus.SETTLED, TradeStatus.DELIVERED]),
            settled_at=settled,
            settled_fen=rng.choice([paid - deduction, paid - deduction, 0]),
            deduction_fen=deduction,
        )
    db.session.commit()
    return [g.code for g in grades]


def test_weekly_prices_in_sql_equal_the_pure_index(app, settled_market) -> None:
    pure = {(p.grade, p.week): p.price_fen_per_t for p in weekly(cleared())}
    assert len(pure) == 2 * 6 + 1  # both grades every week, one a second before the first
    assert weekly_prices(date(2026, 2, 1), date(2026, 4, 30)) == pure
    one = weekly_prices(date(2026, 3, 9), date(2026, 3, 15), [settled_market[0]])
    assert one == {k: v for k, v in pure.items() if k == (settled_market[0], date(2026, 3, 9))}
    made = {date(2026, 3, 25)}  # a Wednesday: the four weeks before its own
    four = {k: v for k, v in pure.items() if date(2026, 2, 23) <= k[1] <= date(2026, 3, 16)}
    assert references_for(settled_market, made) == four
    assert references_for([], made) == {}
