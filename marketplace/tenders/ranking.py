"""The transparent score a requester ranks quotes by: price and the provider's rating, pure.

    price score   p = lowest total / this total            (1 for the cheapest, ∈ (0, 1])
    rating        r̂ = (C·m + Σ stars) / (C + n)             (Bayesian mean, prior m = 3, C = 2)
    rating score  s = (r̂ − 1) / 4                           (1–5 stars onto 0–1)
    score         100 × (0.7·p + 0.3·s)

A provider without ratings gets the neutral prior r̂ = 3 (s = 0.5), and a few ratings move it
only part of the way (one 5★ gives r̂ = 3.67), so one lucky review does not outrank a long
record. Price weighs more than rating because it is what the requester pays; the rating
decides between close prices. Exact fractions keep the order deterministic; ties go to the
lower total, then the earlier quote. The score only ranks: the requester may choose any valid
quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PRICE_WEIGHT = Fraction(7, 10)
RATING_WEIGHT = Fraction(3, 10)
PRIOR_MEAN = Fraction(3)
PRIOR_WEIGHT = 2


@dataclass(frozen=True)
class Rating:
    """A provider's ratings: their count and the sum of their stars."""

    count: int = 0
    stars_sum: int = 0

    @property
    def mean(self) -> Decimal | None:
        """The plain mean to one decimal (4.6), or None when there is none yet (never 0)."""
        if not self.count:
            return None
        return (Decimal(self.stars_sum) / self.count).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def shrunk(self) -> Fraction:
        """The Bayesian mean the score uses: the prior counts as `PRIOR_WEIGHT` ratings."""
        return (PRIOR_MEAN * PRIOR_WEIGHT + self.stars_sum) / (PRIOR_WEIGHT + self.count)


@dataclass(frozen=True)
class Candidate:
    quote_id: int
    total_fen: int
    rating: Rating
    quoted_at: datetime


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    rank: int
    price_score: Decimal  # 0–1, three decimals
    rating_score: Decimal
    score: Decimal  # 0–100, one decimal

    @property
    def quote_id(self) -> int:
        return self.candidate.quote_id


def _exact(c: Candidate, lowest: int) -> tuple[Fraction, Fraction, Fraction]:
    price = Fraction(lowest, c.total_fen)
    rating = (c.rating.shrunk - 1) / 4
    return price, rating, 100 * (PRICE_WEIGHT * price + RATING_WEIGHT * rating)


def _dec(value: Fraction, places: str) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(places), ROUND_HALF_UP
    )


def rank(candidates: list[Candidate]) -> list[Ranked]:
    """Candidates best first, each with its rank (1 = best) and score parts."""
    if not candidates:
        return []
    if any(c.total_fen <= 0 for c in candidates):
        raise ValueError("a quote total must be positive")
    lowest = min(c.total_fen for c in candidates)
    scored = [(c, *_exact(c, lowest)) for c in candidates]
    scored.sort(key=lambda row: (-row[3], row[0].total_fen, row[0].quoted_at, row[0].quote_id))
    return [
        Ranked(c, i, _dec(price, "0.001"), _dec(rating, "0.001"), _dec(score, "0.1"))
        for i, (c, price, rating, score) in enumerate(scored, start=1)
    ]
