"""Money and weight units: integer fen and integer grams in storage, `Decimal` at the edges.

Floats never carry money or quota weights: 0.1 + 0.2 != 0.3 would move fen and fail checks.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

GRAMS_PER_KG = 1000
FEN_PER_YUAN = 100


def _decimal(value: Decimal | int | str, what: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{what} must not be a float; pass a Decimal or a string")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"{what} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{what} must be finite")
    return result


def yuan_to_fen(yuan: Decimal | int | str) -> int:
    """Exact yuan → fen; a value with more than two decimals is refused rather than rounded."""
    fen = _decimal(yuan, "amount") * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {yuan} has a fraction of a fen")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    """Fen → yuan with exactly two decimals, for display and export."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def kg_to_grams(kg: Decimal | int | str) -> int:
    """Exact kg → integer grams; sub-gram precision is refused (no scale resolves it)."""
    grams = _decimal(kg, "weight") * GRAMS_PER_KG
    if grams != grams.to_integral_value():
        raise ValueError(f"weight {kg} kg has a fraction of a gram")
    return int(grams)


def grams_to_kg(grams: int) -> Decimal:
    """Integer grams → kilograms as an exact Decimal with three decimals."""
    return (Decimal(grams) / GRAMS_PER_KG).quantize(Decimal("0.001"))


def tonnes_to_grams(tonnes: Decimal | int | str) -> int:
    """Exact tonnes → integer grams (lots are quoted in tonnes, stored in grams)."""
    return kg_to_grams(_decimal(tonnes, "quantity") * 1000)
