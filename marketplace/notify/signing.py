"""Webhook signatures, Stripe's scheme: `X-Huanlian-Signature: t=<unix>,v1=<hex>`.

`v1` is HMAC-SHA256 over `"<t>.<raw body>"` with the endpoint's secret. The timestamp inside the
signed text lets a receiver refuse replays older than a tolerance; a header may carry several
`v1` values (e.g. during a secret rotation), and any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Huanlian-Signature"
DEFAULT_TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>.<body>"`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header for one request."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: int, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> bool:
    """True when the header is well-formed, recent (|now − t| ≤ tolerance) and a v1 matches.

    What a receiver runs; kept here so the tests check our own signatures the receiver's way.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
