"""When a failed delivery is tried again: exponential steps with jitter, then it has failed.

1 min, 5 min, 30 min, 2 h, 12 h after the first, second … failed attempt (six attempts over
about 15 hours), each spread by ±10 % so endpoints that failed together are not retried in
one burst when they come back.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

SCHEDULE = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
JITTER = 0.10
MAX_ATTEMPTS = len(SCHEDULE) + 1


def next_attempt(failures: int, now: datetime, rng: random.Random | None = None) -> datetime | None:
    """After the `failures`-th consecutive failure (1-based), when to try again; None = give up."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    if failures > len(SCHEDULE):
        return None
    base = SCHEDULE[failures - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return now + base * factor
