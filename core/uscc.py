"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division (6),
organisation code (9, GB 11714) and a check character computed over the first 17 with weights
3^i mod 31. The alphabet omits I, O, S, V and Z so codes survive handwriting and OCR.
"""

from __future__ import annotations

import random

from core.i18n import N_

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, ...
# GB 11714 organisation-code check: weights over its first 8 characters, modulus 11.
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError("need 17 characters from the GB 32100 alphabet")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> tuple[str, dict[str, str]] | None:
    """None when `code` is a valid USCC, else (Chinese message with placeholders, params).

    The message is a translation key: the web shell shows it in the user's language.
    """
    if not isinstance(code, str):
        return N_("统一社会信用代码必须是字符串"), {}
    if len(code) != 18:
        return N_("统一社会信用代码应为18位"), {}
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        return N_("统一社会信用代码含有非法字符：%(chars)s"), {"chars": "".join(dict.fromkeys(bad))}
    if not code[2:8].isdigit():
        return N_("统一社会信用代码第3至8位应为行政区划代码（数字）"), {}
    if check_character(code[:17]) != code[17]:
        return N_("统一社会信用代码校验位错误"), {}
    return None


def validate(code: str) -> str | None:
    """None when valid, else the reason (in Chinese) — for logs, CLIs and tests."""
    found = problem(code)
    return found[0] % found[1] if found else None


def is_valid(code: str) -> bool:
    """True when `code` passes every check of `validate`."""
    return validate(code) is None


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def generate(
    division_code: str, rng: random.Random, *, authority: str = "9", kind: str = "1"
) -> str:
    """A valid code for demo data: enterprise (9/1) by default, deterministic for a seeded rng."""
    if len(division_code) < 6 or not division_code[:6].isdigit():
        raise ValueError("division_code must start with 6 digits")
    first17 = authority + kind + division_code[:6] + _org_code(rng)
    return first17 + check_character(first17)
