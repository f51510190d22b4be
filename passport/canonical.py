"""Canonical JSON (RFC 8785, JCS) and SHA-256 helpers: the bytes every passport hash is taken of.

A hash over JSON is only reproducible when everybody serialises the same value to the same
bytes. RFC 8785 fixes that: keys sorted by UTF-16 code units, no insignificant whitespace,
numbers in their shortest ECMAScript form, strings with minimal escaping. A verifier anywhere
(Python, JavaScript, Java) re-serialises what it received and gets the same bytes, whatever
order or spacing the document came in — so a canonically equal re-serialisation is accepted
and any change of a value is not.

Numbers: JCS numbers are IEEE doubles, so integers beyond ±2^53 − 1 cannot be represented and
are refused (`rfc8785` raises; we turn it into `Invalid`). Masses therefore travel as kilograms
with three decimals (a gram) or as integer grams, never as Python `Decimal`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

import rfc8785

from core.errors import Invalid

_HASH = re.compile("[0-9a-f]{64}")
ZERO_HASH = "0" * 64  # the "previous hash" of a chain's first entry


class _Slow(Exception):
    """A value the fast path cannot vouch for: let `rfc8785` decide."""


def _plain(value: Any) -> Any:
    """`value` with integral floats as ints, or `_Slow` where json.dumps could differ from JCS.

    For these values ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
    writes exactly the RFC 8785 bytes: keys below U+D800 sort the same by code point as by
    UTF-16 unit; strings escape the same characters the same way; ints within ±2^53 and
    floats in [1e-4, 2^53] print the same shortest round-trip digits as ECMAScript
    (integral ones as ints).
    ``tests/passport/test_canonical.py`` compares the two on generated JSON.
    """
    kind = type(value)  # exact types first: isinstance chains cost a third of a verify
    if kind is str:
        if value.isascii() or max(value) < "\ud800":
            return value
        raise _Slow
    if kind is dict:
        result = {}
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) >= "\ud800"):
                raise _Slow
            result[key] = _plain(item)
        return result
    if kind is list:
        return [_plain(item) for item in value]
    if kind is int:
        if -(2**53) < value < 2**53:
            return value
        raise _Slow
    if kind is float:
        if not math.isfinite(value) or abs(value) > 2**53 or (value != 0 and abs(value) < 1e-4):
            raise _Slow  # where Python's repr and ECMAScript's number formatting part ways
        return int(value) if value.is_integer() else value
    if value is None or kind is bool:
        return value
    return _plain_subclass(value)


def _plain_subclass(value: Any) -> Any:
    """The same rules for subclasses (a Mapping from a JSON hook, an IntEnum, a str enum)."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, dict):
        return _plain(dict(value))
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, int):
        return _plain(int(value))
    if isinstance(value, float):
        return _plain(float(value))
    if isinstance(value, str):
        return _plain(str(value))
    raise _Slow


def canonical(value: Any, field: str = "event") -> bytes:
    """RFC 8785 bytes of a JSON value; a value JCS cannot represent is refused naming `field`.

    Common JSON takes a fast path through the standard library (the pure-Python ``rfc8785``
    costs about a millisecond per event); anything unusual goes through ``rfc8785`` itself.
    """
    try:
        plain = _plain(value)
    except _Slow:
        pass
    else:
        text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise Invalid(
            "数据无法按 RFC 8785 规范化：%(reason)s",
            {field: "not canonicalisable"},
            reason=str(error) or type(error).__name__,
        ) from error


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of `data` (64 characters)."""
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any, field: str = "event") -> str:
    """SHA-256 hex of the RFC 8785 canonical form of `value`: the passport's content hash."""
    return sha256_hex(canonical(value, field))


def is_hash(text: object) -> bool:
    """True for a 64-character lower-case hex string (what `sha256_hex` returns)."""
    return isinstance(text, str) and _HASH.fullmatch(text) is not None
