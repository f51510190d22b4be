"""统一社会信用代码 validation per GB 32100-2015."""

import random

import pytest

from core import uscc

# Published codes: the standard's own example and well-known registered enterprises.
KNOWN_VALID = ["91350100M000100Y43", "91110000802100433B", "911100001000044477"]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_codes_are_valid(code: str) -> None:
    assert uscc.validate(code) is None


def test_check_character_of_standard_example() -> None:
    assert uscc.check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4", "18位"),
        ("91350100M000100Y433", "18位"),
        ("91350100M000100Y44", "校验位"),
        ("91350100M0001O0Y43", "非法字符"),  # letter O is not in the alphabet
        ("91350100I000100Y43", "非法字符"),  # nor is I
        ("913501a0M000100Y43", "非法字符"),  # lower case
        ("9135A100M000100Y43", "行政区划"),
    ],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    problem = uscc.validate(code)
    assert problem is not None
    assert reason in problem


def test_every_single_character_substitution_is_detected() -> None:
    """31 is prime and every weight is non-zero mod 31, so one wrong character always shows."""
    code = KNOWN_VALID[0]
    for position in range(17):
        for ch in uscc.ALPHABET:
            if ch == code[position]:
                continue
            changed = code[:position] + ch + code[position + 1 :]
            if changed[2:8].isdigit():
                assert not uscc.is_valid(changed), changed


def test_generated_codes_are_valid_and_deterministic() -> None:
    a = [uscc.generate("441900", random.Random(7)) for _ in range(3)]
    b = [uscc.generate("441900", random.Random(7)) for _ in range(3)]
    assert a == b
    many = [uscc.generate("441900121", random.Random(i)) for i in range(500)]
    assert all(uscc.is_valid(c) and c[2:8] == "441900" for c in many)
    assert len(set(many)) == 500


def test_non_string_is_refused() -> None:
    assert uscc.validate(None) is not None  # type: ignore[arg-type]
