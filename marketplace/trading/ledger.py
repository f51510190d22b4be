"""The escrow ledger, pure: double-entry postings in integer fen and the invariants they keep.

Every organisation has two accounts, `available` and `held`; the outside world is one
`external` account. An entry is a set of postings that sums to zero, so money is never made or
lost inside the platform; the sum of all organisation accounts always equals external top-ups
minus payouts; no organisation account may go below zero. The database layer stores the same
entries (append-only) and uses these functions to build and check them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import Conflict, Invalid

EXTERNAL = (0, "external")


class Kind(enum.StrEnum):
    TOP_UP = "top_up"
    HOLD = "hold"
    RELEASE = "release"
    SETTLE = "settle"
    REFUND = "refund"
    PAYOUT = "payout"


Account = tuple[int, str]  # (organisation id, "available" | "held"); (0, "external")


@dataclass(frozen=True)
class Entry:
    """One balanced movement of money."""

    kind: Kind
    postings: tuple[tuple[Account, int], ...]

    def __post_init__(self) -> None:
        if sum(amount for _, amount in self.postings) != 0:
            raise ValueError("an entry's postings must sum to zero")


def _amount(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise Invalid("金额必须是正整数（分）", {"amount": "positive integer fen"})
    return value


def top_up(org: int, amount: int) -> Entry:
    a = _amount(amount)
    return Entry(Kind.TOP_UP, ((EXTERNAL, -a), ((org, "available"), a)))


def hold(org: int, amount: int) -> Entry:
    a = _amount(amount)
    return Entry(Kind.HOLD, (((org, "available"), -a), ((org, "held"), a)))


def release(org: int, amount: int) -> Entry:
    a = _amount(amount)
    return Entry(Kind.RELEASE, (((org, "held"), -a), ((org, "available"), a)))


def settle(buyer: int, seller: int, amount: int) -> Entry:
    """Pay the seller from the buyer's held money."""
    a = _amount(amount)
    return Entry(Kind.SETTLE, (((buyer, "held"), -a), ((seller, "available"), a)))


def refund(seller: int, buyer: int, amount: int) -> Entry:
    a = _amount(amount)
    return Entry(Kind.REFUND, (((seller, "available"), -a), ((buyer, "available"), a)))


def payout(org: int, amount: int) -> Entry:
    a = _amount(amount)
    return Entry(Kind.PAYOUT, (((org, "available"), -a), (EXTERNAL, a)))


def apply(balances: Mapping[Account, int], entry: Entry) -> dict[Account, int]:
    """Balances after `entry`; refused (nothing changes) if an organisation would go negative."""
    after = dict(balances)
    for account, amount in entry.postings:
        after[account] = after.get(account, 0) + amount
    short = [acc for acc, _ in entry.postings if acc != EXTERNAL and after[acc] < 0]
    if short:
        bucket = short[0][1]
        raise Conflict(
            "余额不足（%(bucket)s）", {"amount": f"insufficient {bucket} balance"}, bucket=bucket
        )
    return after


def check_invariants(balances: Mapping[Account, int], topped_up: int, paid_out: int) -> None:
    """Raise AssertionError when a ledger invariant is broken (used by tests and audits)."""
    assert sum(balances.values()) == 0, "entries do not balance"
    organisations = sum(v for acc, v in balances.items() if acc != EXTERNAL)
    assert organisations == topped_up - paid_out, "money appeared or vanished"
    assert all(v >= 0 for acc, v in balances.items() if acc != EXTERNAL), "negative balance"
