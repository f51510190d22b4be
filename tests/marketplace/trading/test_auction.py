"""Auction rules: increments, proxy bidding, sealed bids, reserves, anti-sniping, the lifecycle."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Conflict, Invalid
from marketplace.lots.models import LotStatus
from marketplace.trading import lifecycle
from marketplace.trading.auction import Bid, Rules, SaleMode, check_bid, close, extended, standing

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(hours=2)


def rules(mode=SaleMode.ASCENDING, **kw):
    return Rules(mode=mode, deadline=DEADLINE, **kw)


def bid(bidder, amount, minute=0, seq=None, max_fen=None):
    return Bid(
        bidder, amount, T0 + timedelta(minutes=minute), seq if seq is not None else minute, max_fen
    )


def test_ascending_needs_the_increment_and_names_the_rule() -> None:
    r = rules(min_increment_fen=1_000)
    bids = [bid(1, 150_000)]
    with pytest.raises(Invalid) as err:
        check_bid(r, bids, bid(2, 150_500, 1), now=T0, deadline=DEADLINE)
    assert err.value.fields == {"amount": "below increment"}
    check_bid(r, bids, bid(2, 151_000, 1), now=T0, deadline=DEADLINE)


def test_bids_after_the_deadline_are_refused() -> None:
    with pytest.raises(Conflict) as err:
        check_bid(rules(), [], bid(1, 100_000), now=DEADLINE, deadline=DEADLINE)
    assert "deadline" in err.value.fields


def test_proxy_bidding_pays_one_increment_over_the_second() -> None:
    r = rules(min_increment_fen=1_000)
    bids = [bid(1, 150_000, 0, max_fen=180_000), bid(2, 160_000, 1)]
    assert standing(r, bids).leader_id == 1
    assert standing(r, bids).price_fen == 161_000
    bids.append(bid(2, 185_000, 2))
    assert standing(r, bids).leader_id == 2
    assert standing(r, bids).price_fen == 185_000  # its own bid, above 1's ceiling + increment
    outcome = close(r, bids)
    assert (outcome.winner_id, outcome.price_fen) == (2, 185_000)


def test_equal_ceilings_go_to_the_earlier_bid() -> None:
    r = rules(min_increment_fen=1_000)
    bids = [bid(1, 100_000, 0, max_fen=200_000), bid(2, 200_000, 5)]
    assert standing(r, bids).leader_id == 1
    assert standing(r, bids).price_fen == 200_000


def test_a_leader_can_only_raise_its_ceiling() -> None:
    r = rules()
    bids = [bid(1, 100_000)]
    with pytest.raises(Invalid):
        check_bid(r, bids, bid(1, 100_000, 1), now=T0, deadline=DEADLINE)
    check_bid(r, bids, bid(1, 100_000, 1, max_fen=150_000), now=T0, deadline=DEADLINE)


def test_reserve_not_met_means_no_sale() -> None:
    r = rules(reserve_fen=200_000)
    assert close(r, [bid(1, 150_000), bid(2, 190_000, 1)]).winner_id is None
    result = close(r, [bid(1, 150_000), bid(2, 195_000, 1, max_fen=230_000)])
    assert (result.winner_id, result.price_fen) == (2, 200_000)  # lifted to the reserve


def test_sealed_first_and_second_price() -> None:
    bids = [bid(1, 150_000), bid(2, 170_000, 1), bid(3, 160_000, 2)]
    first = close(rules(SaleMode.SEALED_FIRST, reserve_fen=100_000), bids)
    assert (first.winner_id, first.price_fen) == (2, 170_000)
    second = close(rules(SaleMode.SEALED_SECOND, reserve_fen=100_000), bids)
    assert (second.winner_id, second.price_fen) == (2, 160_000)
    alone = close(rules(SaleMode.SEALED_SECOND, reserve_fen=120_000), [bid(1, 150_000)])
    assert (alone.winner_id, alone.price_fen) == (1, 120_000)


def test_sealed_bids_are_once_per_bidder_and_never_proxies() -> None:
    r = rules(SaleMode.SEALED_FIRST)
    with pytest.raises(Conflict):
        check_bid(r, [bid(1, 100_000)], bid(1, 120_000, 1), now=T0, deadline=DEADLINE)
    with pytest.raises(Invalid):
        check_bid(r, [], bid(1, 100_000, max_fen=150_000), now=T0, deadline=DEADLINE)
    check_bid(r, [bid(1, 100_000)], bid(2, 50_000, 1), now=T0, deadline=DEADLINE)  # lower is fine


def test_fixed_price() -> None:
    r = rules(SaleMode.FIXED, fixed_price_fen=165_000)
    with pytest.raises(Invalid):
        check_bid(r, [], bid(1, 160_000), now=T0, deadline=DEADLINE)
    check_bid(r, [], bid(1, 165_000), now=T0, deadline=DEADLINE)
    with pytest.raises(Conflict):
        check_bid(r, [bid(1, 165_000)], bid(2, 165_000, 1), now=T0, deadline=DEADLINE)
    assert close(r, [bid(1, 165_000)]).price_fen == 165_000
    with pytest.raises(ValueError, match="price"):
        Rules(mode=SaleMode.FIXED, deadline=DEADLINE)


def test_anti_sniping_extends_only_inside_the_window() -> None:
    r = rules(snipe_window=timedelta(minutes=5), extension=timedelta(minutes=5))
    assert extended(r, DEADLINE, DEADLINE - timedelta(minutes=10)) == DEADLINE
    late = DEADLINE - timedelta(minutes=2)
    assert extended(r, DEADLINE, late) == late + timedelta(minutes=5)


def test_negative_or_inverted_bids() -> None:
    with pytest.raises(Invalid):
        check_bid(rules(), [], bid(1, -5), now=T0, deadline=DEADLINE)
    with pytest.raises(Invalid):
        check_bid(rules(), [], bid(1, 100_000, max_fen=90_000), now=T0, deadline=DEADLINE)


@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.integers(1, 500), st.integers(0, 300)),
        min_size=1,
        max_size=30,
    )
)
def test_ascending_winner_has_the_highest_ceiling_and_pays_at_most_it(raw) -> None:
    r = rules(min_increment_fen=10)
    bids = [
        Bid(b, amount * 100, T0 + timedelta(seconds=i), i, amount * 100 + extra * 100)
        for i, (b, amount, extra) in enumerate(raw)
    ]
    outcome = close(r, bids)
    top = max(b.ceiling for b in bids)
    winner_ceiling = max(b.ceiling for b in bids if b.bidder_id == outcome.winner_id)
    assert winner_ceiling == top
    assert outcome.price_fen <= top
    others = [b.ceiling for b in bids if b.bidder_id != outcome.winner_id]
    if others:
        assert outcome.price_fen >= min(max(others) + 10, top)


def test_lifecycle_names_the_allowed_moves() -> None:
    assert lifecycle.check(LotStatus.LISTED, LotStatus.AWARDED) is LotStatus.AWARDED
    with pytest.raises(Conflict) as err:
        lifecycle.check(LotStatus.DRAFT, LotStatus.SETTLED)
    assert err.value.fields == {"status": "allowed: listed, withdrawn"}
    assert lifecycle.allowed(LotStatus.CLOSED) == frozenset()
    reachable = {LotStatus.DRAFT}
    frontier = [LotStatus.DRAFT]
    while frontier:
        for nxt in lifecycle.allowed(frontier.pop()):
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(LotStatus)  # every state is reachable from a draft
