"""The weekly price index: a volume-weighted median, robust to one odd trade."""

from datetime import date

import pytest

from marketplace.trading.index import Cleared, weekly, weighted_median


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
