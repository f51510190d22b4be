"""What the passport asks of the platform around it: who may see a lot's private details.

The passport may not import the web shell, yet members of a trade should see on the scan page
what the public may not: prices, the counterparties' contact details. The composition root
plugs a ``Details`` provider in at start-up (``marketplace.passports``); without one — the
passport used as a library — every viewer gets the public view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Details(Protocol):
    """Private details of `lot` for `actor` (None: the actor is not a member of its trade)."""

    def __call__(self, lot: str, actor: Any) -> Mapping[str, Any] | None: ...


_details: Details | None = None


def plug_in(details: Details | None) -> None:
    """Install (or with None remove) the details provider."""
    global _details
    _details = details


def member_details(lot: str, actor: Any) -> Mapping[str, Any] | None:
    """What `actor` may see beyond the public view of `lot`, if anything."""
    if _details is None or actor is None:
        return None
    return _details(lot, actor)
