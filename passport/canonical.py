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
from typing import Any

import rfc8785

from core.errors import Invalid

ZERO_HASH = "0" * 64  # the "previous hash" of a chain's first entry


def canonical(value: Any, field: str = "event") -> bytes:
    """RFC 8785 bytes of a JSON value; a value JCS cannot represent is refused naming `field`."""
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
    return (
        isinstance(text, str)
        and len(text) == 64
        and all(char in "0123456789abcdef" for char in text)
    )
