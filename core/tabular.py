"""What every spreadsheet export shares: text a spreadsheet would run as a formula is
neutralised (CSV/formula injection). Lots and the station's reports both export; the rule sits
in the kernel so there is one of it."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` with a leading apostrophe when it is text starting like a formula; else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
