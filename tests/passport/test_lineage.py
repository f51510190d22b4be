"""Lineage: ancestry, mass-weighted shares through a split and a merge, cycles and imbalance."""

from fractions import Fraction

import pytest

from core.errors import Invalid
from passport.lineage import Lineage, Tolerance, check_mass_balance
from tests.passport.fixture import build_world


def graph() -> Lineage:
    lineage = Lineage()
    lineage.add_lot("A", factory="F1", category="mixed")
    lineage.add_lot("B", factory="F2", category="occ")
    lineage.add_transformation("sort-1", {"A": 1000}, {"A1": 600, "A2": 395})
    lineage.add_lot("A1", category="occ")
    lineage.add_transformation("bale-1", {"A1": 600, "B": 200}, {"BALE": 798})
    return lineage


def test_ancestors_and_descendants() -> None:
    lineage = graph()
    assert lineage.ancestors("BALE") == {"A", "A1", "B"}
    assert lineage.descendants("A") == {"A1", "A2", "BALE"}
    assert lineage.ancestors("A") == set()


def test_shares_are_mass_weighted_through_split_and_merge() -> None:
    lineage = graph()
    assert lineage.shares("BALE", "factory") == {"F1": Fraction(3, 4), "F2": Fraction(1, 4)}
    assert lineage.shares("BALE", "category") == {"occ": Fraction(1)}  # A1 was sorted as occ
    assert lineage.shares("A2", "category") == {"mixed": Fraction(1)}
    assert lineage.graph.edges["A", "A1"]["mass_g"] == round(1000 * 600 / 995)


def test_a_cycle_and_a_second_producer_are_refused() -> None:
    lineage = graph()
    with pytest.raises(Invalid) as caught:
        lineage.add_transformation("loop", {"BALE": 798}, {"A": 700})
    assert caught.value.fields == {"outputs": "cycle"}
    with pytest.raises(Invalid) as caught:
        lineage.add_transformation("again", {"B": 10}, {"A1": 5})
    assert caught.value.fields == {"outputs": "produced twice"}


def test_mass_balance_within_tolerance_passes_and_beyond_is_refused_or_flagged() -> None:
    check_mass_balance([1000], [1005])  # 0.5 %
    with pytest.raises(Invalid) as caught:
        check_mass_balance([1000], [1006])
    assert caught.value.params == {"out": 1006, "in_": 1000, "tol": 5}
    check_mass_balance([1000], [1500], Tolerance(relative=Fraction(0), absolute_g=500))
    lineage = Lineage()
    with pytest.raises(Invalid):
        lineage.add_transformation("heavy", {"X": 100}, {"Y": 200})
    lineage.add_transformation("heavy", {"X": 100}, {"Y": 200}, strict=False)
    assert [i.event for i in lineage.imbalances] == ["heavy"]


def test_lineage_from_the_stored_events_of_the_fixture() -> None:
    world = build_world()
    lineage = Lineage.from_events(world.ledger.history, lot_of=lambda u: u.rsplit("/", 1)[1])
    assert lineage.ancestors("HL-BALE") == {"HL-A", "HL-A1", "HL-B"}
    shares = lineage.shares("HL-BALE", "factory")
    assert sum(shares.values()) == 1
    assert set(shares) == {None}
    lineage.add_lot("HL-A", factory="F1")
    lineage.add_lot("HL-B", factory="F2")
    shares = lineage.shares("HL-BALE", "factory")
    assert shares == {"F1": Fraction(1_000_000, 1_480_000), "F2": Fraction(480_000, 1_480_000)}
    assert lineage.imbalances == []
    assert {e["event"] for e in lineage.to_json()["edges"]} == {
        e["eventID"] for e in world.ledger.history if e["type"] == "TransformationEvent"
    }
