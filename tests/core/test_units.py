"""Money in fen and weights in grams are exact; floats are refused."""

from decimal import Decimal

import pytest

from core.units import fen_to_yuan, grams_to_kg, kg_to_grams, tonnes_to_grams, yuan_to_fen


def test_yuan_to_fen_is_exact() -> None:
    assert yuan_to_fen("1234.56") == 123456
    assert yuan_to_fen(Decimal("0.1")) + yuan_to_fen(Decimal("0.2")) == yuan_to_fen("0.3")
    assert fen_to_yuan(123456) == Decimal("1234.56")


@pytest.mark.parametrize("bad", ["1.005", "abc", "NaN", "Infinity"])
def test_yuan_to_fen_refuses_what_it_cannot_represent(bad: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        yuan_to_fen(bad)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        yuan_to_fen(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        kg_to_grams(1.5)  # type: ignore[arg-type]


def test_weights() -> None:
    assert kg_to_grams("12.345") == 12345
    assert grams_to_kg(12345) == Decimal("12.345")
    assert tonnes_to_grams("2.5") == 2_500_000
    with pytest.raises(ValueError, match="gram"):
        kg_to_grams("0.0001")
