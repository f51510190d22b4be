"""Who may bid on a lot, pure: licence scope (grade or family, and every HW code of a hazardous
lot), haul radius from the nearest of the buyer's sites, and remaining monthly capacity.
A refusal names the rule that refused it."""

from __future__ import annotations

from dataclasses import dataclass

from geopy.distance import great_circle


@dataclass(frozen=True)
class LotFacts:
    family: str
    grade: str
    hw_codes: frozenset[str]
    lat: float
    lon: float
    quantity_g: int


@dataclass(frozen=True)
class BuyerFacts:
    scope: frozenset[str]  # family and grade codes in the licence scope
    hw_codes: frozenset[str]
    sites: tuple[tuple[float, float], ...]
    radius_km: float
    remaining_capacity_g: int


@dataclass(frozen=True)
class Refusal:
    rule: str  # "licence_scope" | "hw_licence" | "haul_radius" | "capacity" | "no_profile"
    detail: str


def refusal(lot: LotFacts, buyer: BuyerFacts | None) -> Refusal | None:
    """The first rule the buyer fails for this lot, or None when it may bid."""
    if buyer is None:
        return Refusal("no_profile", "no recycler licence on file")
    if lot.family not in buyer.scope and lot.grade not in buyer.scope:
        return Refusal("licence_scope", f"{lot.grade} is outside the licence scope")
    missing = lot.hw_codes - buyer.hw_codes
    if missing:
        return Refusal("hw_licence", "not licensed for " + ", ".join(sorted(missing)))
    nearest = min((great_circle(s, (lot.lat, lot.lon)).km for s in buyer.sites), default=None)
    if nearest is None or nearest > buyer.radius_km:
        return Refusal(
            "haul_radius", f"nearest site {nearest or 0:.0f} km > {buyer.radius_km:.0f} km"
        )
    if lot.quantity_g > buyer.remaining_capacity_g:
        return Refusal("capacity", "quantity exceeds the remaining monthly capacity")
    return None
