"""The platform's side of the station's hooks: outbound sales are funded from the trading
escrow, and station alerts go out through notifications (in the app, e-mail, webhooks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marketplace.notify import publish
from marketplace.trading import escrow, ledger
from station.hooks import HOOKS


class EscrowFunds:
    """`station.hooks.Funds` over the trading ledger (row-locked, never negative)."""

    def available_fen(self, org_id: int) -> int:
        return escrow.balances(org_id)["available"]

    def hold(self, org_id: int, fen: int, reference: str) -> None:
        escrow.post(ledger.hold(org_id, fen), reference=reference)

    def release(self, org_id: int, fen: int, reference: str) -> None:
        escrow.post(ledger.release(org_id, fen), reference=reference)

    def pay(self, buyer_id: int, seller_id: int, fen: int, reference: str) -> None:
        escrow.post(ledger.settle(buyer_id, seller_id, fen), reference=reference)


def announce(
    event: str,
    org_ids: Sequence[int],
    *,
    message: str,
    params: Mapping[str, Any],
    link: str | None,
    payload: Mapping[str, Any],
) -> None:
    publish(event, org_ids, message=message, params=params, link=link, payload=payload)


def plug_in() -> None:
    """Called once by the app factory."""
    HOOKS.funds = EscrowFunds()
    HOOKS.announce = announce
