"""Money for a trade, pure: what the buyer must have in escrow before pickup, and what it pays
on the weighed, moisture-adjusted quantity. Integer fen; half a fen rounds up (GB/T 8170)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from marketplace.lots.moisture import settlement_grams

GRAMS_PER_TONNE = 1_000_000


def amount_fen(price_fen_per_t: int, grams: int) -> int:
    """Price × quantity in integer fen."""
    if price_fen_per_t < 0 or grams < 0:
        raise ValueError("price and quantity cannot be negative")
    exact = Decimal(price_fen_per_t) * Decimal(grams) / GRAMS_PER_TONNE
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def payable_fen(
    price_fen_per_t: int,
    net_grams: int,
    family: str,
    measured_moisture: Decimal | None,
    contract_moisture: Decimal | None,
) -> int:
    """What the buyer pays: paper on its moisture-adjusted weight, the rest as weighed."""
    grams = net_grams
    if family == "PA" and measured_moisture is not None and contract_moisture is not None:
        grams = settlement_grams(net_grams, measured_moisture, contract_moisture)
    return amount_fen(price_fen_per_t, grams)
