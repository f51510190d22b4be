"""Tolerance policies: each basis, the value cap, asymmetry, the floor, validation, resolution."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Invalid
from station.tolerance import (
    Band,
    Basis,
    ControlPoint,
    Policy,
    Side,
    Source,
    Tolerance,
    kg,
    resolve,
)

E = D("0.005")  # a 5 g division: the floor 2e = 0.010 kg stays out of the way


def c(tol: Tolerance, a: str, side: Side = Side.SHORTFALL, e: D = E, price=None) -> D:
    return tol.limit(D(a), side, division_kg=e, unit_price_fen=price).c


def test_absolute_is_a_fixed_number_of_kilograms() -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D("2.5")))
    assert c(tol, "100") == D("2.500")
    assert c(tol, "10000") == D("2.500")


def test_percentage_is_a_share_of_a_rounded_half_up_to_the_gram() -> None:
    tol = Tolerance(Band(Basis.PERCENTAGE, percent=D("1.5")))
    assert c(tol, "1000") == D("15.000")
    assert c(tol, "12.345") == D("0.185")  # 0.185175 → 0.185
    assert c(tol, "12.3") == D("0.185")  # 0.1845 → half up → 0.185


def test_lenient_max_takes_the_larger_and_strict_min_the_smaller() -> None:
    lenient = Tolerance(Band(Basis.LENIENT_MAX, absolute_kg=D(5), percent=D(1)))
    strict = Tolerance(Band(Basis.STRICT_MIN, absolute_kg=D(5), percent=D(1)))
    assert c(lenient, "100") == D("5.000")  # 1 % = 1 kg < 5 kg
    assert c(lenient, "2000") == D("20.000")  # 1 % = 20 kg > 5 kg
    assert c(strict, "100") == D("1.000")
    assert c(strict, "2000") == D("5.000")


def test_value_cap_holds_c_to_the_money_at_risk_rounded_down() -> None:
    """50 元 at risk on copper at 65.30 元/kg: 5000 / 6530 = 0.76569 kg → 0.765 kg, not 0.766."""
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)), value_cap_fen=5000)
    limit = tol.limit(D(100), Side.SHORTFALL, division_kg=E, unit_price_fen=6530)
    assert (limit.c, limit.source) == (D("0.765"), Source.VALUE_CAP)
    # a cheap material is not capped: 5000 fen / 1.2 fen per kg is far above 5 kg
    assert c(tol, "100", price=D("1.2")) == D("5.000")


def test_value_cap_needs_a_unit_price() -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)), value_cap_fen=5000)
    with pytest.raises(Invalid) as err:
        c(tol, "100")
    assert err.value.fields == {"unit_price_fen": "required"}


def test_asymmetric_bands_differ_by_side_and_exact_uses_the_shortfall_band() -> None:
    tol = Tolerance(
        shortfall=Band(Basis.ABSOLUTE, absolute_kg=D(1)),
        excess=Band(Basis.PERCENTAGE, percent=D(3)),
    )
    assert c(tol, "1000", Side.SHORTFALL) == D("1.000")
    assert c(tol, "1000", Side.EXCESS) == D("30.000")
    assert c(tol, "1000", Side.EXACT) == D("1.000")
    symmetric = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(1)))
    assert c(symmetric, "1000", Side.EXCESS) == D("1.000")


def test_floor_of_n_divisions_wins_over_a_tighter_policy() -> None:
    tol = Tolerance(Band(Basis.PERCENTAGE, percent=D("0.1")), floor_divisions=3)
    limit = tol.limit(D(100), Side.SHORTFALL, division_kg=D("0.05"))  # 0.1 kg < 3 × 0.05
    assert (limit.c, limit.source) == (D("0.150"), Source.FLOOR)
    assert Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(0))).limit(
        D(0), Side.EXACT, division_kg=D(20)
    ).c == D(40)  # weighbridge e = 20 kg, default n = 2


def test_floor_also_beats_the_value_cap() -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)), value_cap_fen=1)
    limit = tol.limit(D(100), Side.SHORTFALL, division_kg=E, unit_price_fen=10_000)
    assert (limit.c, limit.source) == (D("0.010"), Source.FLOOR)


bands = st.one_of(
    st.builds(
        Band,
        st.just(Basis.ABSOLUTE),
        st.decimals(0, 1000, places=3),
    ),
    st.builds(
        Band,
        st.sampled_from([Basis.LENIENT_MAX, Basis.STRICT_MIN]),
        st.decimals(0, 1000, places=3),
        st.decimals(0, 100, places=2),
    ),
    st.builds(lambda p: Band(Basis.PERCENTAGE, percent=p), st.decimals(0, 100, places=2)),
)


@given(
    band=bands,
    a=st.decimals(0, 100_000, places=3),
    n=st.integers(1, 10),
    e=st.sampled_from([D("0.001"), D("0.005"), D("0.02"), D("0.5"), D(20)]),
    cap=st.one_of(st.none(), st.integers(1, 10**6)),
    price=st.decimals(D("0.1"), 100_000, places=1),
    side=st.sampled_from(list(Side)),
)
def test_a_floor_never_lets_c_below_n_times_e(band, a, n, e, cap, price, side) -> None:
    tol = Tolerance(band, value_cap_fen=cap, floor_divisions=n)
    limit = tol.limit(a, side, division_kg=e, unit_price_fen=price)
    assert limit.c >= n * e
    assert limit.c == limit.c.quantize(D("0.001"))
    if limit.source is not Source.FLOOR and cap is not None:
        assert limit.c * price <= cap  # the cap is a ceiling on money


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"shortfall": Band(Basis.ABSOLUTE, absolute_kg=D(-1))}, "shortfall.absolute_kg"),
        ({"shortfall": Band(Basis.PERCENTAGE, percent=D(101))}, "shortfall.percent"),
        ({"shortfall": Band(Basis.PERCENTAGE, percent=D(-1))}, "shortfall.percent"),
        ({"shortfall": Band(Basis.PERCENTAGE)}, "shortfall.percent"),
        ({"shortfall": Band(Basis.LENIENT_MAX, percent=D(1))}, "shortfall.absolute_kg"),
        ({"shortfall": Band(Basis.ABSOLUTE, D(1), D(1))}, "shortfall.percent"),
        ({"shortfall": Band("bogus", D(1))}, "shortfall.basis"),  # type: ignore[arg-type]
        (
            {"shortfall": Band(Basis.ABSOLUTE, D(1)), "excess": Band(Basis.ABSOLUTE, D("NaN"))},
            "excess.absolute_kg",
        ),
        ({"shortfall": Band(Basis.ABSOLUTE, D(1)), "value_cap_fen": 0}, "value_cap_fen"),
        ({"shortfall": Band(Basis.ABSOLUTE, D(1)), "floor_divisions": 0}, "floor_divisions"),
    ],
)
def test_bad_policies_are_refused_naming_the_field(kwargs, field) -> None:
    with pytest.raises(Invalid) as err:
        Tolerance(**kwargs)
    assert field in err.value.fields


@pytest.mark.parametrize("e", [D(0), D(-1), D("0.0005"), "x"])
def test_bad_divisions_are_refused(e) -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(1)))
    with pytest.raises(Invalid) as err:
        tol.limit(D(1), Side.EXACT, division_kg=e)
    assert "division_kg" in err.value.fields


def test_kg_rounds_half_up_to_the_gram_and_refuses_floats() -> None:
    assert kg(D("1.0005"), "b") == D("1.001")
    assert kg("2.0004", "b") == D("2.000")
    assert kg(3, "b") == D("3.000")
    with pytest.raises(TypeError):
        kg(0.1, "b")  # type: ignore[arg-type]
    with pytest.raises(Invalid) as err:
        kg("abc", "gross")
    assert err.value.fields == {"gross": "not a number"}


PAPER = Tolerance(Band(Basis.PERCENTAGE, percent=D(2)))
DEFAULT_RECEIVE = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)))
DEFAULT_SORT = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(1)))
POLICIES = [
    Policy(ControlPoint.RECEIVE, None, DEFAULT_RECEIVE),
    Policy(ControlPoint.RECEIVE, "PA-OCC", PAPER),
    Policy(ControlPoint.SORT, None, DEFAULT_SORT),
]


def test_resolve_picks_the_material_policy_or_the_point_default() -> None:
    assert resolve(POLICIES, ControlPoint.RECEIVE, "PA-OCC") is PAPER
    assert resolve(POLICIES, ControlPoint.RECEIVE, "PL-PET") is DEFAULT_RECEIVE
    assert resolve(POLICIES, ControlPoint.RECEIVE, None) is DEFAULT_RECEIVE
    assert resolve(POLICIES, ControlPoint.SORT, "PA-OCC") is DEFAULT_SORT  # not CP1's paper rule


def test_resolve_refuses_a_point_without_a_default_and_duplicates() -> None:
    with pytest.raises(Invalid) as err:
        resolve(POLICIES, ControlPoint.BALE, "PA-OCC")
    assert err.value.fields == {"point": "no default tolerance"}
    with pytest.raises(Invalid) as err:
        resolve([*POLICIES, Policy(ControlPoint.RECEIVE, "PA-OCC", DEFAULT_SORT)], "receive", "x")
    assert err.value.fields == {"policies[3]": "duplicate"}
