"""The trading services under random sequences (Hypothesis state machine, on both databases):
list, bid, accept, withdraw, close, schedule, pick up, deliver, dispute, decide, settle, settle
by itself, cancel, refund, close with the end use, top up and pay out. Refused steps change
nothing; after every step the money and the lifecycle agree with each other.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.time import utcnow
from marketplace.lots import services as lots
from marketplace.lots.models import Lot, LotStatus
from marketplace.lots.schemas import ArchiveSchema
from marketplace.trading import certificates, disputes, escrow, ledger, services, trades
from marketplace.trading.certificates import EndUse
from marketplace.trading.models import (
    Bid,
    Certificate,
    Dispute,
    DisputeKind,
    DisputeStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Sale,
    Trade,
    TradeStatus,
)
from tests.factories import make_user
from tests.marketplace.conftest import archive
from tests.marketplace.trading.conftest import licensed_recycler

MODES = st.sampled_from(["ascending", "sealed_second", "offers", "fixed"])
PRICES = st.integers(1_400, 1_800)  # yuan per tonne
SCRATCH = (Certificate, Dispute, LedgerPosting, LedgerEntry, LedgerAccount, Trade, Bid, Sale)


def has(model):
    """A precondition: rows of `model` exist (so the rule has something to act on)."""
    return lambda self: db.session.scalar(sa.select(sa.func.count(model.id))) > 0


def actor_of(user) -> Actor:
    return Actor(user.id, user.organization_id, user.organization.kind, user.role)


class TradingMachine(RuleBasedStateMachine):
    """One seller, three licensed buyers and the platform; lots are listed as the test goes."""

    world: dict = {}

    def __init__(self) -> None:
        super().__init__()
        for model in SCRATCH:  # each example starts from an empty market
            db.session.execute(sa.delete(model))
        db.session.execute(sa.text("DELETE FROM lot_versions"))
        db.session.execute(sa.delete(Lot))
        db.session.commit()
        self.seller, self.buyers, self.admin = (
            self.world["seller"],
            self.world["buyers"],
            self.world["admin"],
        )
        self.site_id = self.world["site_id"]
        self.topped_up = 0
        self.paid_out = 0
        self.now = utcnow()

    def attempt(self, work) -> object | None:
        """Run a step as a request would: commit on success, roll back a refusal."""
        try:
            result = work()
        except DomainError:
            db.session.rollback()
            return None
        db.session.commit()
        return result

    def lot_ids(self, data) -> list[int]:
        """Mostly lots still on sale (where a step can do something), sometimes any lot."""
        stmt = sa.select(Lot.id).order_by(Lot.id)
        if data.draw(st.integers(0, 9)) < 8:
            stmt = stmt.where(Lot.status == LotStatus.LISTED)
        return list(db.session.scalars(stmt))

    def trade_ids(self, data) -> list[int]:
        """Mostly trades still in progress, sometimes any trade."""
        stmt = sa.select(Trade.id).order_by(Trade.id)
        if data.draw(st.integers(0, 9)) < 8:
            stmt = stmt.where(Trade.status.not_in([TradeStatus.CANCELLED, TradeStatus.CLOSED]))
        return list(db.session.scalars(stmt))

    def pick(self, data, ids: list[int]) -> int | None:
        return data.draw(st.sampled_from(ids)) if ids else None

    @initialize(price=PRICES)
    def market_open(self, price):
        """Funded buyers and a lot already bought, so every sequence starts with a trade."""
        for buyer in range(3):
            self.top_up(buyer, 20_000)
        self.list_lot("fixed", 100, price)
        lot_id = max(self.lot_ids_any())
        buyer = actor_of(self.buyers[0])
        self.attempt(lambda: services.place_bid(buyer, lot_id, price, now=self.now))

    def lot_ids_any(self) -> list[int]:
        return list(db.session.scalars(sa.select(Lot.id)))

    # -- money in and out --------------------------------------------------------------------
    @rule(buyer=st.integers(0, 2), yuan=st.integers(1_000, 40_000))
    def top_up(self, buyer, yuan):
        org = self.buyers[buyer].organization_id
        if self.attempt(lambda: escrow.post(ledger.top_up(org, yuan * 100))):
            self.topped_up += yuan * 100

    @rule(who=st.integers(0, 3), share=st.sampled_from([0.1, 0.5, 1.0, 1.5]))
    def payout(self, who, share):
        """A share of what is available (above 1: refused, nothing moves)."""
        user = ([*self.buyers, self.seller])[who]
        fen = int(escrow.balances(user.organization_id)["available"] * share)
        if fen > 0 and self.attempt(lambda: escrow.payout(actor_of(user), fen, "bank")):
            self.paid_out += fen

    # -- selling -----------------------------------------------------------------------------
    @rule(mode=MODES, deposit=st.sampled_from([0, 100, 500]), price=PRICES)
    def list_lot(self, mode, deposit, price):
        seller = actor_of(self.seller)

        def work():
            data = ArchiveSchema().load(archive(self.site_id, quantity_t="2"))
            lot = lots.create_lot(seller, data, now=self.now)
            lots.publish_lot(seller, lot.id, now=self.now)
            rules = {
                "mode": mode,
                "deadline": self.now + timedelta(hours=1),
                "deposit_yuan": deposit,
                "fixed_price_yuan_per_t": price if mode == "fixed" else None,
                "reserve_yuan_per_t": 1_400,
            }
            services.set_sale(seller, lot.id, rules, now=self.now)

        self.attempt(work)

    @rule(data=st.data(), buyer=st.integers(0, 2), price=PRICES)
    @precondition(has(Lot))
    def bid(self, data, buyer, price):
        lot_id = self.pick(data, self.lot_ids(data))
        if lot_id is not None:
            actor = actor_of(self.buyers[buyer])
            sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id))
            if sale is not None and sale.fixed_price_fen and data.draw(st.booleans()):
                price = sale.fixed_price_fen // 100  # buy now
            self.attempt(lambda: services.place_bid(actor, lot_id, price, now=self.now))

    @rule(data=st.data())
    @precondition(has(Bid))
    def accept_offer(self, data):
        bid_id = self.pick(data, list(db.session.scalars(sa.select(Bid.id))))
        if bid_id is not None:
            lot_id = db.session.get(Bid, bid_id).lot_id
            seller = actor_of(self.seller)
            self.attempt(lambda: services.accept_offer(seller, lot_id, bid_id, now=self.now))

    @rule(data=st.data())
    @precondition(has(Lot))
    def withdraw(self, data):
        lot_id = self.pick(data, self.lot_ids(data))
        if lot_id is not None:
            self.attempt(lambda: services.withdraw(actor_of(self.seller), lot_id, now=self.now))

    @rule(data=st.data())
    @precondition(has(Lot))
    def close(self, data):
        lot_id = self.pick(data, self.lot_ids(data))
        if lot_id is not None:
            later = self.now + timedelta(hours=2)
            self.attempt(lambda: services.close_sale(lot_id, now=later))

    # -- after the award ---------------------------------------------------------------------
    def trade_step(self, data, step, **kwargs) -> None:
        trade_id = self.pick(data, self.trade_ids(data))
        if trade_id is None:
            return
        trade = db.session.get(Trade, trade_id)
        who = data.draw(st.sampled_from(["buyer", "seller", "admin"]))
        user = {
            "buyer": next(b for b in self.buyers if b.organization_id == trade.buyer_id),
            "seller": self.seller,
            "admin": self.admin,
        }[who]
        self.attempt(lambda: step(actor_of(user), trade_id, now=self.now, **kwargs))

    @rule(data=st.data())
    @precondition(has(Trade))
    def schedule(self, data):
        self.trade_step(data, trades.schedule_pickup)

    @rule(data=st.data())
    @precondition(has(Trade))
    def pick_up(self, data):
        self.trade_step(data, trades.confirm_pickup)

    @rule(data=st.data(), kg=st.integers(1_500, 2_500))
    @precondition(has(Trade))
    def deliver(self, data, kg):
        self.trade_step(
            data,
            trades.confirm_delivery,
            net_g=kg * 1000,
            measured_moisture=None,
            contract_moisture=None,
        )

    @rule(data=st.data())
    @precondition(has(Trade))
    def settle(self, data):
        self.trade_step(data, trades.settle)

    @rule()
    @precondition(has(Trade))
    def settle_due(self):
        self.attempt(lambda: trades.settle_due(now=self.now + timedelta(days=5)))

    @rule(data=st.data())
    @precondition(has(Trade))
    def cancel(self, data):
        self.trade_step(data, trades.cancel, reason="测试取消")

    @rule(data=st.data(), yuan=st.integers(1, 4_000))
    @precondition(has(Trade))
    def refund(self, data, yuan):
        self.trade_step(data, trades.refund, amount=yuan * 100, reason="测试退款")

    @rule(data=st.data(), yuan=st.integers(1, 4_000))
    @precondition(has(Trade))
    def dispute(self, data, yuan):
        def step(actor, trade_id, now):
            return disputes.open_dispute(
                actor, trade_id, DisputeKind.QUALITY, yuan * 100, "杂质超标", now=now
            )

        self.trade_step(data, step)

    @rule(data=st.data(), outcome=st.sampled_from(["accept", "contest", "deduct", "cancel"]))
    @precondition(has(Dispute))
    def answer(self, data, outcome):
        dispute_id = self.pick(data, list(db.session.scalars(sa.select(Dispute.id))))
        if dispute_id is None:
            return
        seller, admin = actor_of(self.seller), actor_of(self.admin)
        steps = {
            "accept": lambda: disputes.accept(seller, dispute_id, "认可", now=self.now),
            "contest": lambda: disputes.contest(seller, dispute_id, "不认可", now=self.now),
            "deduct": lambda: disputes.resolve(
                admin, dispute_id, deduction_fen=10_000, cancel=False, note="裁决", now=self.now
            ),
            "cancel": lambda: disputes.resolve(
                admin, dispute_id, deduction_fen=None, cancel=True, note="退货", now=self.now
            ),
        }
        self.attempt(steps[outcome])

    @rule(data=st.data())
    @precondition(has(Trade))
    def close_with_end_use(self, data):
        def step(actor, trade_id, now):
            return certificates.close(actor, trade_id, EndUse.RECYCLING, "造纸", now=now, tz="UTC")

        self.trade_step(data, step)

    @precondition(has(Trade))
    @rule(data=st.data(), kg=st.integers(1_500, 2_500), claim=st.integers(1, 4_000))
    def progress(self, data, kg, claim):
        """The natural next step of a trade in progress, by the party that takes it: most
        sequences reach settlement, disputes and certificates this way."""
        trade = db.session.scalar(
            sa.select(Trade)
            .where(Trade.status.not_in([TradeStatus.CANCELLED, TradeStatus.CLOSED]))
            .order_by(Trade.id)
        )
        if trade is None:
            return
        buyer = actor_of(next(b for b in self.buyers if b.organization_id == trade.buyer_id))
        seller, now, tid = actor_of(self.seller), self.now, trade.id
        if trade.status is TradeStatus.AWARDED:
            self.attempt(lambda: escrow.post(ledger.top_up(buyer.org_id, 400_000)))
            self.topped_up += 400_000
            self.attempt(lambda: trades.schedule_pickup(seller, tid, now=now))
        elif trade.status is TradeStatus.SCHEDULED:
            self.attempt(lambda: trades.confirm_pickup(seller, tid, now=now))
        elif trade.status is TradeStatus.PICKED_UP:
            self.attempt(
                lambda: trades.confirm_delivery(buyer, tid, kg * 1000, None, None, now=now)
            )
        elif trade.status is TradeStatus.DELIVERED:
            if data.draw(st.booleans()):
                self.attempt(lambda: trades.settle(buyer, tid, now=now))
            else:
                self.attempt(
                    lambda: disputes.open_dispute(
                        buyer, tid, DisputeKind.QUALITY, claim * 100, "杂质超标", now=now
                    )
                )
        elif trade.status is TradeStatus.SETTLED:
            self.attempt(
                lambda: certificates.close(buyer, tid, EndUse.RECYCLING, "造纸", now=now, tz="UTC")
            )

    # -- what must always hold ---------------------------------------------------------------
    @invariant()
    def ledger_balances(self):
        rows = db.session.scalars(sa.select(LedgerAccount)).all()
        balances = {(r.organization_id, r.bucket): r.balance_fen for r in rows}
        balances[ledger.EXTERNAL] = -sum(balances.values())
        ledger.check_invariants(balances, self.topped_up, self.paid_out)
        unbalanced = db.session.scalars(
            sa.select(LedgerPosting.entry_id)
            .group_by(LedgerPosting.entry_id)
            .having(sa.func.sum(LedgerPosting.amount_fen) != 0)
        ).all()
        assert not unbalanced

    @invariant()
    def held_money_is_accounted_for(self):
        """Every fen held belongs to an open deposit or to a trade in progress."""
        expected: dict[int, int] = {}
        for sale in db.session.scalars(sa.select(Sale)):
            bidders = set(
                db.session.scalars(sa.select(Bid.organization_id).where(Bid.lot_id == sale.lot_id))
            )
            if sale.deposit_fen and sale.closed_at is None:
                for org in bidders:
                    expected[org] = expected.get(org, 0) + sale.deposit_fen
        for trade in db.session.scalars(sa.select(Trade)):
            expected[trade.buyer_id] = expected.get(trade.buyer_id, 0) + trades.held_for(trade)
        for buyer in self.buyers:
            held = escrow.balances(buyer.organization_id)["held"]
            assert held == expected.get(buyer.organization_id, 0), (buyer.organization_id, held)

    @invariant()
    def lots_and_trades_agree(self):
        for trade in db.session.scalars(sa.select(Trade)):
            assert db.session.get(Lot, trade.lot_id).status.value == trade.status.value
            if trade.status in (TradeStatus.SETTLED, TradeStatus.CLOSED):
                assert trade.settled_fen + trade.deduction_fen == trades.payable(trade)
                assert trade.reserved_fen == 0
            if trade.status is TradeStatus.DISPUTED:
                dispute = db.session.scalar(sa.select(Dispute).where(Dispute.trade_id == trade.id))
                assert dispute.status in (DisputeStatus.OPEN, DisputeStatus.CONTESTED)
        one_per_lot = db.session.execute(
            sa.select(Trade.lot_id).group_by(Trade.lot_id).having(sa.func.count() > 1)
        ).all()
        assert not one_per_lot


@pytest.fixture
def world(app, producer):
    from core.models import Organization

    admin = make_user(db.session.get(Organization, _admin_org()), Role.MANAGER)
    TradingMachine.world = {
        "seller": producer,
        "site_id": producer.site.id,
        "buyers": [licensed_recycler(f"买方{i}", 23.0, 113.6 + i / 100) for i in range(3)],
        "admin": admin,
    }
    yield
    TradingMachine.world = {}


def _admin_org() -> int:
    from tests.factories import make_org

    org = make_org(OrgKind.ADMIN)
    db.session.commit()
    return org.id


def test_trading_state_machine(world) -> None:
    run_state_machine_as_test(
        TradingMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
