"""The data the recommender works on, as plain dataclasses.

The platform adapts its rows into these (benchmarks and tests build them directly), so the
library never sees Flask or the database. Validation happens once, when an object is made:
a lot with a negative quantity or a buyer with no licence is refused with the field named,
because a bad row must not turn into a silent, wrong recommendation further down.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime


class MatchingError(ValueError):
    """Bad input to the recommender; `field` names what was wrong (the platform maps it to 422)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def _require(cond: bool, field_name: str, message: str) -> None:
    if not cond:
        raise MatchingError(field_name, message)


def _finite(value: float, field_name: str, lo: float, hi: float) -> None:
    _require(
        isinstance(value, int | float) and math.isfinite(value) and lo <= value <= hi,
        field_name,
        f"must be a number in [{lo}, {hi}]",
    )


@dataclass(frozen=True, slots=True)
class Lot:
    """A lot on the market. `ask_ratio` is the ask over the regional price index (1.0 = index).

    `seller_id` is optional (the issue's fields come first): the re-rank spreads exposure over
    sellers, and a lot without one counts as its own seller.
    """

    id: str
    category: str
    process: str
    lat: float
    lon: float
    quantity_t: float
    contamination_pct: float
    moisture_pct: float
    dql: int
    ask_ratio: float
    hw_codes: tuple[str, ...] = ()
    listed_at: datetime | None = None
    text: str = ""
    seller_id: str | None = None

    def __post_init__(self) -> None:
        _require(isinstance(self.id, str) and bool(self.id), "id", "must be a non-empty string")
        _require(bool(self.category), "category", "must be given")
        _finite(self.lat, "lat", -90, 90)
        _finite(self.lon, "lon", -180, 180)
        _finite(self.quantity_t, "quantity_t", 0, 1e6)
        _finite(self.contamination_pct, "contamination_pct", 0, 100)
        _finite(self.moisture_pct, "moisture_pct", 0, 100)
        _require(isinstance(self.dql, int) and 0 <= self.dql <= 4, "dql", "must be 0..4")
        _finite(self.ask_ratio, "ask_ratio", 0, 100)
        object.__setattr__(self, "hw_codes", tuple(self.hw_codes))
        _require(
            self.listed_at is None or self.listed_at.tzinfo is not None,
            "listed_at",
            "must be timezone-aware",
        )

    @property
    def seller(self) -> str:
        """Who gets the exposure: the seller when known, else the lot itself."""
        return self.seller_id or f"lot:{self.id}"


@dataclass(frozen=True, slots=True)
class Buyer:
    """A recycler's declared profile: what its licence allows and what it can take."""

    id: str
    lat: float
    lon: float
    permitted_categories: frozenset[str]
    permitted_hw_codes: frozenset[str] = field(default_factory=frozenset)
    radius_km: float = 50.0
    capacity_t: float = 100.0
    max_contamination_pct: float = 100.0
    min_dql: int = 0

    def __post_init__(self) -> None:
        _require(isinstance(self.id, str) and bool(self.id), "id", "must be a non-empty string")
        _finite(self.lat, "lat", -90, 90)
        _finite(self.lon, "lon", -180, 180)
        object.__setattr__(self, "permitted_categories", frozenset(self.permitted_categories))
        object.__setattr__(self, "permitted_hw_codes", frozenset(self.permitted_hw_codes))
        _require(
            bool(self.permitted_categories),
            "permitted_categories",
            "a buyer with no licensed category can be matched with nothing",
        )
        _finite(self.radius_km, "radius_km", 0, 20_000)
        _finite(self.capacity_t, "capacity_t", 0, 1e7)
        _finite(self.max_contamination_pct, "max_contamination_pct", 0, 100)
        _require(isinstance(self.min_dql, int) and 0 <= self.min_dql <= 4, "min_dql", "0..4")


@dataclass(frozen=True, slots=True)
class Exposure:
    """A logged impression: `buyer_id` was shown `lot_id` at `shown_at`, and bid or not."""

    buyer_id: str
    lot_id: str
    shown_at: datetime | None
    bid: bool
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for a recommendation, Chinese first with English beside it.

    `code` and `params` are stable (a page may build its own text from them); `zh` and `en`
    are ready to show. The library stays free of Flask's gettext on purpose.
    """

    code: str
    zh: str
    en: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One ranked item: the lot or buyer id, the calibrated bid probability, its reasons."""

    id: str
    score: float
    reasons: tuple[Reason, ...]

    def __iter__(self) -> Iterator[object]:
        """Lets callers unpack `(id, score, reasons)` as the issue's API names it."""
        return iter((self.id, self.score, self.reasons))
