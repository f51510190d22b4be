"""What the station needs from the platform around it, as interfaces it owns.

The station may not import the web shell (`marketplace`), yet its outbound sales must be funded
from the trading ledger and its alerts must reach people in the app, by e-mail and by webhook.
So the station declares what it needs here and the composition root (`marketplace.app`) plugs
the implementations in at start-up. Without them (a station used as a library) funds cannot be
reserved and announcements are dropped, which the tests of this package make explicit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import Conflict


class Funds(Protocol):
    """Escrow money of an organisation, in integer fen."""

    def available_fen(self, org_id: int) -> int: ...

    def hold(self, org_id: int, fen: int, reference: str) -> None: ...

    def release(self, org_id: int, fen: int, reference: str) -> None: ...

    def pay(self, buyer_id: int, seller_id: int, fen: int, reference: str) -> None: ...


class Announce(Protocol):
    """Tell organisations about an event (in the app, by e-mail, to their webhooks)."""

    def __call__(
        self,
        event: str,
        org_ids: Sequence[int],
        *,
        message: str,
        params: Mapping[str, Any],
        link: str | None,
        payload: Mapping[str, Any],
    ) -> None: ...


@dataclass
class Hooks:
    funds: Funds | None = None
    announce: Announce | None = None


HOOKS = Hooks()


def funds() -> Funds:
    """The platform's escrow; refusing clearly where none is plugged in."""
    if HOOKS.funds is None:
        raise Conflict("未接入资金托管，不能审批出库计划", {"funds": "no escrow ledger configured"})
    return HOOKS.funds


def announce(event: str, org_ids: Sequence[int], **kwargs: Any) -> None:
    """Announce through the platform when it is plugged in; a no-op otherwise."""
    if HOOKS.announce is not None:
        HOOKS.announce(event, org_ids, **kwargs)
