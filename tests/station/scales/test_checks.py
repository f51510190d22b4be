"""What may be recorded: stable, 0 … capacity, in the configured unit; each refusal named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from station.scales import REFUSAL_MESSAGES, Reading, Refusal, check_reading, weight_kg
from tests.station.scales.helpers import config

SCALE = config("st-gs")  # 3,000 kg, e = 0.5 kg, unit kg


def reading(weight: str, unit: str | None = "kg", stable: bool | None = True, **kw: str) -> Reading:
    return Reading(Decimal(weight), unit, stable, "G", **kw)  # type: ignore[arg-type]


def test_a_stable_weight_within_capacity_may_be_recorded() -> None:
    assert check_reading(reading("1234.5"), SCALE) is None
    assert check_reading(reading("0"), SCALE) is None
    assert check_reading(reading("3000"), SCALE) is None


@pytest.mark.parametrize(
    ("value", "code", "params"),
    [
        (reading("1234.5", stable=False), "unstable", {}),
        (reading("1234.5", stable=None), "unstable", {}),
        (reading("3000.5"), "over_capacity", {"weight": "3000.5", "capacity": "3000"}),
        (reading("-0.5"), "negative", {"weight": "-0.5"}),
        (reading("1.2345", unit="t"), "unit_mismatch", {"frame_unit": "t", "unit": "kg"}),
        (reading("12", unit="lb"), "unit_mismatch", {"frame_unit": "lb", "unit": "kg"}),
        (reading("0", error="overload"), "overload", {}),
        (reading("0", error="underload"), "underload", {}),
        (reading("0", error="busy"), "scale_error", {"error": "秤忙，指令未执行"}),
    ],
)
def test_refusals_name_their_reason(value: Reading, code: str, params: dict[str, str]) -> None:
    refusal = check_reading(value, SCALE)
    assert refusal == Refusal(code, params, value.error if code == "scale_error" else None)
    assert refusal.message == REFUSAL_MESSAGES[code]
    assert all(f"%({name})s" in refusal.message for name in params)
    assert "%(" not in refusal.text()


def test_a_unitless_frame_takes_the_configured_unit() -> None:
    tonnes = config("xk3190", unit="t", division_kg=Decimal(20), capacity_kg=Decimal(60000))
    assert check_reading(reading("25.68", unit=None), tonnes) is None
    assert weight_kg(reading("25.68", unit=None), tonnes) == Decimal("25680")
    refusal = check_reading(reading("60.02", unit=None), tonnes)
    assert refusal == Refusal("over_capacity", {"weight": "60020.00", "capacity": "60000"})


def test_units_are_compared_without_case() -> None:
    assert check_reading(reading("10", unit="KG"), SCALE) is None


def test_grams_are_converted_to_kilograms() -> None:
    grams = config("mt-sics", unit="g", division_kg=Decimal("0.001"), capacity_kg=Decimal(6))
    assert weight_kg(reading("100.00", unit="g"), grams) == Decimal("0.10000")
    assert check_reading(reading("6000.01", unit="g"), grams).code == "over_capacity"  # type: ignore[union-attr]


def test_an_unknown_unit_cannot_be_converted() -> None:
    with pytest.raises(ValueError, match="unit"):
        weight_kg(reading("1", unit="oz"), SCALE)


def test_every_refusal_has_a_chinese_message() -> None:
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in REFUSAL_MESSAGES.values())


def test_every_scale_error_code_has_words() -> None:
    from station.scales import base
    from station.scales.checks import ERROR_LABELS

    names = "OVERLOAD UNDERLOAD BUSY SYNTAX TRANSMISSION LOGICAL MOTION NEGATIVE ZERO_RANGE"
    codes = {getattr(base, name) for name in [*names.split(), "NO_WEIGHT", "ACK"]}
    assert codes == set(ERROR_LABELS)
