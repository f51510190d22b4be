"""Auction rules, pure: which bid is acceptable, who leads at what price, who wins at close.

Prices are integer fen per tonne. Modes:
- fixed: buy now at the fixed price; the first acceptance wins.
- ascending: open; each bid beats the standing price by the minimum increment. With proxy
  bidding a bidder gives a maximum and the platform bids for it: the standing price is the
  second-highest maximum plus one increment, capped at the highest maximum (ties: earliest).
- sealed_first / sealed_second: bids are hidden until close; the highest wins and pays its own
  bid (first price) or the second-highest bid, at least the reserve (second price).
A bid in the last `snipe_window` before the deadline moves the deadline to `extension` after it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import Conflict, Invalid


class SaleMode(enum.StrEnum):
    FIXED = "fixed"
    ASCENDING = "ascending"
    SEALED_FIRST = "sealed_first"
    SEALED_SECOND = "sealed_second"
    OFFERS = "offers"  # 议价: buyers make offers, the seller accepts one (or none)


@dataclass(frozen=True)
class Rules:
    """How one lot is sold."""

    mode: SaleMode
    deadline: datetime
    reserve_fen: int | None = None
    fixed_price_fen: int | None = None
    min_increment_fen: int = 1_000  # 10 CNY/t
    snipe_window: timedelta = timedelta(minutes=5)
    extension: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.mode is SaleMode.FIXED and not self.fixed_price_fen:
            raise ValueError("a fixed-price sale needs its price")
        if self.min_increment_fen <= 0:
            raise ValueError("the minimum increment must be positive")


@dataclass(frozen=True)
class Bid:
    """A bid as placed: `max_fen` > `amount_fen` makes it a proxy bid (ascending only)."""

    bidder_id: int
    amount_fen: int
    placed_at: datetime
    seq: int
    max_fen: int | None = None

    @property
    def ceiling(self) -> int:
        return max(self.amount_fen, self.max_fen or 0)


@dataclass(frozen=True)
class Standing:
    """Who leads an ascending auction and at what price (None before the first bid)."""

    leader_id: int | None
    price_fen: int | None


@dataclass(frozen=True)
class Outcome:
    """The result at close: a winner and the price it pays, or no sale with the reason."""

    winner_id: int | None
    price_fen: int | None
    reason: str


def _order(bids: list[Bid]) -> list[Bid]:
    """Highest ceiling first; ties go to the earliest bid."""
    return sorted(bids, key=lambda b: (-b.ceiling, b.placed_at, b.seq))


def _best_per_bidder(bids: list[Bid]) -> list[Bid]:
    """Each bidder's highest ceiling (its earliest bid among equals), best bidder first."""
    best: dict[int, Bid] = {}
    for b in sorted(bids, key=lambda b: (b.placed_at, b.seq)):
        if b.bidder_id not in best or b.ceiling > best[b.bidder_id].ceiling:
            best[b.bidder_id] = b
    return _order(list(best.values()))


def standing(rules: Rules, bids: list[Bid]) -> Standing:
    """The leader and standing price of an ascending auction under proxy bidding."""
    if not bids:
        return Standing(None, None)
    ranked = _best_per_bidder(bids)
    top = ranked[0]
    if len(ranked) == 1:
        return Standing(top.bidder_id, top.amount_fen)
    price = min(top.ceiling, ranked[1].ceiling + rules.min_increment_fen)
    return Standing(top.bidder_id, max(price, top.amount_fen))


def check_bid(
    rules: Rules, bids: list[Bid], bid: Bid, *, now: datetime, deadline: datetime
) -> None:
    """Refuse a bid that breaks a rule, naming the rule (`fields['amount']` or `['deadline']`)."""
    if now >= deadline:
        raise Conflict("竞价已截止", {"deadline": "closed"})
    if bid.amount_fen <= 0 or (bid.max_fen is not None and bid.max_fen < bid.amount_fen):
        raise Invalid(
            "出价必须为正数，代理上限不低于出价", {"amount": "not positive / max below bid"}
        )
    if rules.mode is SaleMode.FIXED:
        if bid.amount_fen != rules.fixed_price_fen:
            raise Invalid("一口价批次须按标价购买", {"amount": "must equal the fixed price"})
        if bids:
            raise Conflict("该一口价批次已被购买", {"lot": "already bought"})
        return
    if rules.mode is SaleMode.OFFERS:
        _check_offer(rules, bids, bid)
        return
    if bid.max_fen is not None and rules.mode is not SaleMode.ASCENDING:
        raise Invalid("只有公开增价竞价支持代理出价", {"max": "proxy bids only in ascending"})
    if rules.mode is SaleMode.ASCENDING and bids:
        current = standing(rules, bids)
        if current.leader_id == bid.bidder_id:
            if bid.ceiling <= max(b.ceiling for b in bids if b.bidder_id == bid.bidder_id):
                raise Invalid("您已领先，只能提高代理上限", {"amount": "already leading"})
            return
        minimum = (current.price_fen or 0) + rules.min_increment_fen
        if bid.ceiling < minimum:
            raise Invalid(
                "出价低于最低加价要求（至少 %(min)s 分/吨）",
                {"amount": "below increment"},
                min=minimum,
            )
    if rules.mode in (SaleMode.SEALED_FIRST, SaleMode.SEALED_SECOND) and any(
        b.bidder_id == bid.bidder_id for b in bids
    ):
        raise Conflict("密封竞价每个企业只能出价一次", {"bidder": "already bid"})


def _check_offer(rules: Rules, bids: list[Bid], bid: Bid) -> None:
    if bid.max_fen is not None:
        raise Invalid("只有公开增价竞价支持代理出价", {"max": "proxy bids only in ascending"})
    if rules.reserve_fen and bid.amount_fen < rules.reserve_fen:
        raise Invalid("报价低于卖方底价", {"amount": "below the reserve"})
    own = [b.amount_fen for b in bids if b.bidder_id == bid.bidder_id]
    if own and bid.amount_fen <= max(own):
        raise Invalid("新报价须高于您上一次的报价", {"amount": "not above your last offer"})


def acceptable_offer(bids: list[Bid], chosen: Bid, rejected: set[int]) -> None:
    """The seller may accept a bidder's latest offer that it has not rejected."""
    latest = max((b for b in bids if b.bidder_id == chosen.bidder_id), key=lambda b: b.seq)
    if latest.seq != chosen.seq:
        raise Conflict("该买方已有更新的报价", {"bid": "superseded by a later offer"})
    if chosen.seq in rejected:
        raise Conflict("该报价已被拒绝", {"bid": "rejected"})


def extended(rules: Rules, deadline: datetime, placed_at: datetime) -> datetime:
    """Anti-sniping: a bid inside the window pushes the deadline to `extension` after the bid."""
    if rules.mode in (SaleMode.FIXED, SaleMode.OFFERS) or deadline - placed_at > rules.snipe_window:
        return deadline
    return max(deadline, placed_at + rules.extension)


def close(rules: Rules, bids: list[Bid]) -> Outcome:
    """Who wins, and at what price, when the auction closes."""
    if not bids:
        return Outcome(None, None, "no bids")
    if rules.mode is SaleMode.FIXED:
        first = min(bids, key=lambda b: (b.placed_at, b.seq))
        return Outcome(first.bidder_id, rules.fixed_price_fen, "bought at the fixed price")
    if rules.mode is SaleMode.OFFERS:
        return Outcome(None, None, "no offer accepted")
    reserve = rules.reserve_fen or 0
    if rules.mode is SaleMode.ASCENDING:
        result = standing(rules, bids)
        if result.price_fen is None or max(b.ceiling for b in bids) < reserve:
            return Outcome(None, None, "reserve not met")
        return Outcome(result.leader_id, max(result.price_fen, reserve), "highest bid")
    ranked = _best_per_bidder(bids)
    top = ranked[0]
    if top.amount_fen < reserve:
        return Outcome(None, None, "reserve not met")
    if rules.mode is SaleMode.SEALED_FIRST:
        return Outcome(top.bidder_id, top.amount_fen, "highest sealed bid, pays its bid")
    runner_up = ranked[1].amount_fen if len(ranked) > 1 else reserve
    return Outcome(top.bidder_id, max(runner_up, reserve), "highest sealed bid, pays the second")
