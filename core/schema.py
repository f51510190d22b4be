"""The base of every API schema, in the kernel so every package with an API shares it: unknown
fields refused, control characters refused.

PostgreSQL cannot store NUL in text, and no legitimate form field holds one; refusing them
here gives the client a 422 naming the field instead of a database error.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, pre_load, validate

# Database ids are 32-bit: a larger number is a 422 naming the field, not an overflow (500).
ID = validate.Range(min=1, max=2**31 - 1)


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    return [p for k, v in items for p in _nul_paths(v, f"{path}.{k}" if path else str(k))]


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_nul(self, data: Any, **_: Any) -> Any:
        bad = _nul_paths(data, "")
        if bad:
            raise ValidationError({p: ["不能包含空字符（NUL）"] for p in bad})
        return data


def refuse_nul_in_url(path: str, args: dict[str, list[str]]) -> None:
    """Before-request guard: the URL path and query strings carry no NUL either."""
    from core.errors import DomainError

    bad = (["_path"] if "\x00" in path else []) + [
        k for k, values in args.items() if any("\x00" in v for v in values) or "\x00" in k
    ]
    if bad:
        raise DomainError("请求地址包含空字符（NUL）", {k: "NUL character" for k in bad})


def decimal_range(low: Decimal | int | str, high: Decimal | int | str) -> Callable[[Decimal], None]:
    """A bounds check for Decimal fields.

    marshmallow's `Range` would put Decimal bounds into the OpenAPI document, which Flask's JSON
    writes as strings (invalid OpenAPI); this validator keeps the spec clean.
    """
    lo, hi = Decimal(low), Decimal(high)

    def check(value: Decimal) -> None:
        if not lo <= value <= hi:
            raise ValidationError(f"must be between {lo} and {hi}")

    return check


def max_decimals(places: int) -> Callable[[Decimal], None]:
    """Refuse more precision than the quantity carries (rather than rounding it away silently)."""

    def check(value: Decimal) -> None:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise ValidationError(f"at most {places} decimals")

    return check
