"""Small synthetic markets and one fitted recommender per module, so the tests stay fast."""

from __future__ import annotations

import pytest

from matching import Recommender
from matching.synthetic import Market, make_market

SMALL = {"n_buyers": 80, "n_sellers": 50, "n_weeks": 6, "lots_per_week": 150, "n_test_lots": 300}


def small_market(seed: int, **kw: object) -> Market:
    """A market about a tenth of the benchmark's size (fits in about a second)."""
    return make_market(seed, **{**SMALL, **kw})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def market() -> Market:
    return small_market(11)


@pytest.fixture(scope="module")
def fitted(market: Market) -> Recommender:
    return Recommender(max_iter=120).fit(market.lots, market.buyers, market.exposures)
