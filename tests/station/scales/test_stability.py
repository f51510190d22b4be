"""Software stability: N readings within ±k·e of the newest over T seconds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from station.scales import StabilityDetector

E = Decimal("0.5")


def feed_all(detector: StabilityDetector, samples: list[tuple[str, float]]) -> list[bool]:
    return [detector.feed(Decimal(w), t) for w, t in samples]


def test_steady_weight_becomes_stable_after_t_seconds_and_n_readings() -> None:
    detector = StabilityDetector(E)  # N=5, k=1, T=3 s
    flags = feed_all(detector, [("1000.0", t * 0.5) for t in range(8)])  # 0 … 3.5 s
    assert flags == [False] * 6 + [True, True]  # stable from t = 3.0 s


def test_within_one_division_of_the_newest_is_steady() -> None:
    detector = StabilityDetector(E)
    samples = [("1000.0", 0), ("1000.5", 1), ("999.5", 2), ("1000.0", 2.5), ("1000.0", 3)]
    assert feed_all(detector, samples)[-1] is True


def test_a_reading_two_divisions_away_breaks_stability_for_t_seconds() -> None:
    detector = StabilityDetector(E)
    feed_all(detector, [("1000.0", t * 0.5) for t in range(8)])
    assert detector.feed(Decimal("1001.0"), 4.0) is False  # 2e from the run
    later = feed_all(detector, [("1001.0", 4.0 + t * 0.5) for t in range(1, 8)])
    # the 1000.0 readings leave the 3 s window only after t = 7.0 s
    assert later == [False] * 5 + [True, True]


def test_too_few_readings_in_the_window_is_not_stable() -> None:
    """A slow request/response scale: 4 readings in 3 s are not enough for N = 5."""
    detector = StabilityDetector(E)
    assert feed_all(detector, [("20.0", t) for t in range(6)]) == [False] * 6
    fast = StabilityDetector(E, n=4)
    assert feed_all(fast, [("20.0", t) for t in range(4)])[-1] is True


def test_k_widens_the_band() -> None:
    narrow, wide = StabilityDetector(E, n=3, k=1, t_s=1), StabilityDetector(E, n=3, k=3, t_s=1)
    samples = [("10.0", 0), ("11.0", 0.5), ("10.0", 1.0), ("11.0", 1.5)]
    assert feed_all(narrow, samples)[-1] is False
    assert feed_all(wide, samples)[-1] is True


def test_a_gap_empties_the_window() -> None:
    detector = StabilityDetector(E, n=3, t_s=1)
    assert feed_all(detector, [("5.0", 0), ("5.0", 0.5), ("5.0", 1.0)])[-1] is True
    assert detector.feed(Decimal("5.0"), 10.0) is False
    assert detector.count == 1


def test_reset_starts_over() -> None:
    detector = StabilityDetector(E, n=2, t_s=1)
    assert feed_all(detector, [("5.0", 0), ("5.0", 1.0)])[-1] is True
    detector.reset()
    assert detector.feed(Decimal("5.0"), 1.1) is False


def test_time_must_not_go_backwards() -> None:
    detector = StabilityDetector(E)
    detector.feed(Decimal(1), 5.0)
    with pytest.raises(ValueError, match="backwards"):
        detector.feed(Decimal(1), 4.0)


def test_bad_parameters_are_refused() -> None:
    for kwargs in ({"n": 0}, {"k": -1}, {"t_s": -1.0}):
        with pytest.raises(ValueError, match="division"):
            StabilityDetector(E, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="division"):
        StabilityDetector(Decimal(0))
