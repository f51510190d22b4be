"""The escrow ledger's invariants hold after any sequence of operations (property-based)."""

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from core.errors import Conflict, Invalid
from marketplace.trading import ledger

ORGS = st.integers(1, 4)
AMOUNTS = st.integers(1, 1_000_000)


def test_balanced_entries_only() -> None:
    with pytest.raises(ValueError, match="zero"):
        ledger.Entry(ledger.Kind.TOP_UP, (((1, "available"), 5),))


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "10"])
def test_amounts_are_positive_integer_fen(amount) -> None:
    with pytest.raises(Invalid):
        ledger.top_up(1, amount)


def test_hold_needs_available_money() -> None:
    balances = ledger.apply({}, ledger.top_up(1, 100))
    with pytest.raises(Conflict) as err:
        ledger.apply(balances, ledger.hold(1, 101))
    assert err.value.fields == {"amount": "insufficient available balance"}
    after = ledger.apply(balances, ledger.hold(1, 100))
    assert after[(1, "held")] == 100
    assert after[(1, "available")] == 0


class LedgerMachine(RuleBasedStateMachine):
    """Random top-ups, holds, releases, settlements, refunds and payouts; refused ones change
    nothing, and the invariants hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.balances: dict = {}
        self.topped_up = 0
        self.paid_out = 0

    def _try(self, entry) -> bool:
        try:
            self.balances = ledger.apply(self.balances, entry)
        except Conflict:
            return False
        return True

    @rule(org=ORGS, amount=AMOUNTS)
    def top_up(self, org, amount):
        assert self._try(ledger.top_up(org, amount))
        self.topped_up += amount

    @rule(org=ORGS, amount=AMOUNTS)
    def hold(self, org, amount):
        self._try(ledger.hold(org, amount))

    @rule(org=ORGS, amount=AMOUNTS)
    def release(self, org, amount):
        self._try(ledger.release(org, amount))

    @rule(buyer=ORGS, seller=ORGS, amount=AMOUNTS)
    def settle(self, buyer, seller, amount):
        self._try(ledger.settle(buyer, seller, amount))

    @rule(seller=ORGS, buyer=ORGS, amount=AMOUNTS)
    def refund(self, seller, buyer, amount):
        self._try(ledger.refund(seller, buyer, amount))

    @rule(org=ORGS, amount=AMOUNTS)
    def payout(self, org, amount):
        if self._try(ledger.payout(org, amount)):
            self.paid_out += amount

    @invariant()
    def invariants_hold(self):
        ledger.check_invariants(self.balances, self.topped_up, self.paid_out)


TestLedgerMachine = LedgerMachine.TestCase
