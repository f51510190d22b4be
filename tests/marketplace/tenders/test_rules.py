"""The pure rules of service tenders: the state table, what a quote must satisfy, the score."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.enums import OrgKind
from core.errors import Conflict, Forbidden, Invalid
from marketplace.tenders import lifecycle, ranking
from marketplace.tenders.lifecycle import ServiceStatus as S
from marketplace.tenders.quoting import (
    Basis,
    Offer,
    RequestFacts,
    ServiceKind,
    check_quote,
    total_fen,
)
from marketplace.trading.eligibility import Refusal

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=2)


# --- lifecycle -------------------------------------------------------------------------------


def test_the_state_table_allows_exactly_the_documented_moves() -> None:
    moves = {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert moves == {
        (S.OPEN, S.AWARDED),
        (S.OPEN, S.CANCELLED),
        (S.OPEN, S.EXPIRED),
        (S.AWARDED, S.COMPLETED),
    }
    assert set(lifecycle.TRANSITIONS) == set(S)


@pytest.mark.parametrize("current", list(S))
def test_an_illegal_move_names_the_allowed_ones(current) -> None:
    for target in set(S) - lifecycle.allowed(current):
        with pytest.raises(Conflict) as caught:
            lifecycle.check(current, target)
        allowed = ", ".join(sorted(s.value for s in lifecycle.allowed(current))) or "—"
        assert caught.value.fields == {"status": f"allowed: {allowed}"}
        assert caught.value.state_labels is lifecycle.LABELS
    for target in lifecycle.allowed(current):
        assert lifecycle.check(current, target) is target


def test_expiry_is_derived_from_the_clock_and_the_quotes() -> None:
    before, after = DEADLINE - timedelta(seconds=1), DEADLINE
    assert lifecycle.effective(S.OPEN, DEADLINE, before, 0) is S.OPEN
    assert lifecycle.effective(S.OPEN, DEADLINE, after, 0) is S.EXPIRED
    assert lifecycle.effective(S.OPEN, DEADLINE, after, 3) is S.OPEN  # still choosable
    assert lifecycle.effective(S.AWARDED, DEADLINE, after, 0) is S.AWARDED
    assert lifecycle.effective(S.CANCELLED, DEADLINE, after, 0) is S.CANCELLED


# --- quoting ---------------------------------------------------------------------------------


def facts(**overrides) -> RequestFacts:
    values = {
        "requester_id": 1,
        "kind": ServiceKind.TRANSPORT,
        "status": S.OPEN,
        "deadline": DEADLINE,
        "quantity_g": 12_500_000,  # 12.5 t
        "basis": Basis.PER_TONNE,
        "budget_fen": None,
    }
    values.update(overrides)
    return RequestFacts(**values)


def offer(**overrides) -> Offer:
    values = {
        "provider_id": 2,
        "provider_kind": OrgKind.LOGISTICS,
        "price_fen": 10_000,
        "basis": Basis.PER_TONNE,
        "earliest_date": date(2026, 12, 3),
        "valid_until": date(2026, 12, 10),
    }
    values.update(overrides)
    return Offer(**values)


def check(request=None, quote=None, previous=None, licence=None, now=NOW):
    return check_quote(
        request or facts(),
        quote or offer(),
        previous_total_fen=previous,
        licence=licence,
        now=now,
    )


def test_totals_compare_per_tonne_and_lump_sum_quotes() -> None:
    assert total_fen(10_000, Basis.PER_TONNE, 12_500_000) == 125_000
    assert total_fen(125_000, Basis.LUMP_SUM, 12_500_000) == 125_000
    assert total_fen(333, Basis.PER_TONNE, 1_500) == 0  # 0.4995 fen rounds down
    assert total_fen(333, Basis.PER_TONNE, 1_502) == 1  # 0.500166 fen rounds up
    assert check() == 125_000
    assert check(quote=offer(basis=Basis.LUMP_SUM, price_fen=99_000)) == 99_000


@pytest.mark.parametrize(
    ("request_", "quote", "previous", "licence", "now", "error", "field"),
    [
        (facts(requester_id=2), None, None, None, NOW, Conflict, "request"),
        (None, offer(provider_kind=OrgKind.RECYCLER), None, None, NOW, Forbidden, "kind"),
        (facts(kind=ServiceKind.DISPOSAL), None, None, None, NOW, Forbidden, "kind"),
        (
            facts(kind=ServiceKind.DISPOSAL),
            offer(provider_kind=OrgKind.RECYCLER),
            None,
            Refusal("hw_licence", "not licensed for 900-052-31"),
            NOW,
            Conflict,
            "hw_licence",
        ),
        (facts(status=S.AWARDED), None, None, None, NOW, Conflict, "status"),
        (None, None, None, None, DEADLINE, Conflict, "deadline"),
        (None, offer(price_fen=0), None, None, NOW, Invalid, "price_yuan"),
        (None, offer(price_fen=-5), None, None, NOW, Invalid, "price_yuan"),
        (None, offer(valid_until=date(2026, 12, 2)), None, None, NOW, Invalid, "valid_until"),
        (
            None,
            offer(earliest_date=date(2026, 12, 20), valid_until=date(2026, 12, 10)),
            None,
            None,
            NOW,
            Invalid,
            "valid_until",
        ),
        (facts(budget_fen=9_999), None, None, None, NOW, Invalid, "price_yuan"),
        (None, None, 125_000, None, NOW, Conflict, "price_yuan"),  # equal is not lower
        (None, None, 120_000, None, NOW, Conflict, "price_yuan"),
    ],
)
def test_each_refusal_names_its_field(request_, quote, previous, licence, now, error, field):
    with pytest.raises(error) as caught:
        check(request_, quote, previous, licence, now)
    assert field in caught.value.fields


def test_budget_and_revision_limits_are_inclusive_and_strict() -> None:
    assert check(request=facts(budget_fen=10_000)) == 125_000  # exactly the budget passes
    lump_budget = facts(budget_fen=125_000, basis=Basis.LUMP_SUM)
    assert check(request=lump_budget) == 125_000  # a per-tonne quote against a lump budget
    assert check(previous=125_001) == 125_000  # one fen lower is lower
    recycler = offer(provider_kind=OrgKind.RECYCLER)
    assert check(request=facts(kind=ServiceKind.DISPOSAL), quote=recycler) == 125_000


# --- ranking ---------------------------------------------------------------------------------


def cand(quote_id, total, count=0, stars=0, minute=0) -> ranking.Candidate:
    return ranking.Candidate(
        quote_id, total, ranking.Rating(count, stars), NOW + timedelta(minutes=minute)
    )


def test_the_score_follows_the_documented_formula() -> None:
    ranked = ranking.rank([cand(1, 100_000), cand(2, 125_000, count=4, stars=20)])
    best = {r.quote_id: r for r in ranked}
    # cheapest, no ratings: 100 × (0.7 × 1 + 0.3 × 0.5) = 85.0
    assert best[1].score == Decimal("85.0")
    assert best[1].rating_score == Decimal("0.500")
    # 4 × 5★: r̂ = (2·3 + 20) / 6 = 4.333…, s = 0.8333…; p = 0.8 → 100 × (0.56 + 0.25) = 81.0
    assert best[2].price_score == Decimal("0.800")
    assert best[2].score == Decimal("81.0")
    assert [r.quote_id for r in ranked] == [1, 2]
    assert [r.rank for r in ranked] == [1, 2]


def test_a_good_record_can_beat_a_slightly_lower_price() -> None:
    ranked = ranking.rank([cand(1, 100_000, count=5, stars=6), cand(2, 103_000, 10, 49)])
    assert [r.quote_id for r in ranked] == [2, 1]


def test_one_lucky_review_moves_a_provider_only_part_of_the_way() -> None:
    assert ranking.Rating(1, 5).shrunk == pytest.approx(11 / 3)
    assert ranking.Rating().shrunk == 3


def test_ties_go_to_the_lower_total_then_the_earlier_quote() -> None:
    ranked = ranking.rank([cand(7, 100_000, minute=5), cand(3, 100_000, minute=1)])
    assert [r.quote_id for r in ranked] == [3, 7]
    assert ranking.rank([]) == []
    with pytest.raises(ValueError, match="positive"):
        ranking.rank([cand(1, 0)])


def test_a_rating_is_shown_as_a_mean_and_count_never_as_zero() -> None:
    assert ranking.Rating().mean is None
    assert ranking.Rating(12, 55).mean == Decimal("4.6")  # 4.583… rounds half up
    assert ranking.Rating(2, 9).mean == Decimal("4.5")
