"""Quota formulas: B from tares, A at every control point, the check, deductions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Invalid
from station.quota import (
    Deduction,
    DeductionKind,
    ExpiredTare,
    ProductionRecord,
    RecordKind,
    Result,
    Side,
    SortedBatch,
    Tare,
    TareKind,
    bale_standard,
    check,
    compare_outbound,
    consume,
    consume_from,
    deduct,
    net,
    outbound_standard,
    receive_standard,
    sort_standards,
    tare_drift,
)
from station.ratios import RatioLine
from station.tolerance import Band, Basis, Source, Tolerance

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
E = D("0.005")
FIVE_KG = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)))


def tare(kind=TareKind.VEHICLE, weight="3200", days=(-30, 30), ref="粤S·12345"):
    start, end = days
    return Tare(
        kind,
        D(weight),
        T0 + timedelta(days=start),
        None if end is None else T0 + timedelta(days=end),
        ref,
    )


# ---- B ----------------------------------------------------------------------------------


def test_net_subtracts_every_valid_standard_tare() -> None:
    tares = [tare(), tare(TareKind.CONTAINER, "45.5"), tare(TareKind.PALLET, "12.25", (-1, None))]
    assert net(D("5800.000"), tares, T0) == D("2542.250")
    assert net(D("100"), [], T0) == D("100.000")


def test_an_expired_or_future_tare_raises_expired_tare_naming_it() -> None:
    old = tare(days=(-60, -1))
    with pytest.raises(ExpiredTare) as err:
        net(D(5000), [tare(TareKind.PALLET, "10"), old], T0)
    assert isinstance(err.value, Invalid)
    assert err.value.fields == {"tares[1]": "not valid at the weighing time"}
    assert err.value.tare is old
    assert err.value.params["ref"] == "粤S·12345"
    with pytest.raises(ExpiredTare):
        net(D(5000), [tare(days=(1, 30))], T0)


def test_validity_is_start_inclusive_end_exclusive() -> None:
    t = Tare(TareKind.PALLET, D(10), T0, T0 + timedelta(days=1))
    assert t.valid_at(T0)
    assert not t.valid_at(T0 + timedelta(days=1))
    assert t.valid_at(T0 + timedelta(days=1) - timedelta(microseconds=1))


def test_a_measured_tare_is_valid_for_its_weighing() -> None:
    measured = Tare.measured(TareKind.VEHICLE, D("3215"), T0, "粤S·12345")
    assert net(D(5000), [measured], T0) == D("1785.000")


def test_net_refuses_a_negative_result_and_a_negative_gross() -> None:
    with pytest.raises(Invalid) as err:
        net(D(3000), [tare()], T0)
    assert err.value.fields == {"gross": "below the sum of the tares"}
    with pytest.raises(Invalid) as err:
        net(D(-1), [], T0)
    assert err.value.fields == {"gross": "negative"}


def test_tare_drift_alerts_beyond_the_limit_only() -> None:
    assert not tare_drift(D("3220"), D("3200"), D("20"))
    assert tare_drift(D("3220.001"), D("3200"), D("20"))
    assert tare_drift(D("3179.999"), D("3200"), D("20"))


# ---- CP1 --------------------------------------------------------------------------------


def test_receive_standard_sums_quantity_times_factor_per_record_kind() -> None:
    records = [
        ProductionRecord("PL-1", RecordKind.PLAN, D(1200), "件", D("0.085"), "件"),  # 102
        ProductionRecord("OUT-7", RecordKind.OUTPUT, D(40), "箱", D("1.25"), "箱"),  # 50
        ProductionRecord("HO-3", RecordKind.HANDOVER, D("2.5"), "t", D("0.012"), "kg"),  # 30
    ]
    assert receive_standard(records) == D("182.000")


def test_receive_standard_rounds_once_at_the_end() -> None:
    """Three records of 0.0004 kg each: rounding each would give 0, the sum gives 0.001."""
    records = [
        ProductionRecord(f"R{i}", RecordKind.PLAN, D(1), "件", D("0.0004"), "件") for i in range(3)
    ]
    assert receive_standard(records) == D("0.001")


def test_no_record_means_no_standard() -> None:
    assert receive_standard([]) is None
    result = check(None, D(500), FIVE_KG, division_kg=E)
    assert result.result is Result.NO_STANDARD
    assert (result.d, result.c, result.x, result.sign) == (None, None, None, None)


def test_a_unit_mismatch_is_refused_naming_the_record() -> None:
    records = [
        ProductionRecord("PL-1", RecordKind.PLAN, D(10), "件", D(1), "件"),
        ProductionRecord("OUT-7", RecordKind.OUTPUT, D(40), "件", D("1.25"), "箱"),
    ]
    with pytest.raises(Invalid) as err:
        receive_standard(records)
    assert err.value.fields == {"records[1].unit": "件 ≠ 箱"}
    assert err.value.params["ref"] == "OUT-7"


def test_a_handover_needs_a_mass_and_a_ratio() -> None:
    per_piece = ProductionRecord("HO", RecordKind.HANDOVER, D(10), "件", D("0.1"), "kg")
    with pytest.raises(Invalid) as err:
        receive_standard([per_piece])
    assert "records[0].unit" in err.value.fields
    above_one = ProductionRecord("HO", RecordKind.HANDOVER, D(10), "kg", D("1.1"), "kg")
    with pytest.raises(Invalid) as err:
        receive_standard([above_one])
    assert err.value.fields == {"records[0].factor": "ratio above 1"}


def test_negative_quantities_are_refused() -> None:
    record = ProductionRecord("PL", RecordKind.PLAN, D(-1), "件", D(1), "件")
    with pytest.raises(Invalid) as err:
        receive_standard([record])
    assert err.value.fields == {"records[0].quantity": "negative"}


# ---- CP2 --------------------------------------------------------------------------------

PLASTIC = [RatioLine("高值塑料", D("0.885")), RatioLine("二类纸", D("0.115"), residue=True)]


def test_sort_standards_split_b_by_the_ratios() -> None:
    assert sort_standards(D(1), PLASTIC) == {"高值塑料": D("0.885"), "二类纸": D("0.115")}
    assert sort_standards(D("1000"), PLASTIC) == {"高值塑料": D("885.000"), "二类纸": D("115.000")}


def test_the_rounding_remainder_goes_to_the_residue_line() -> None:
    lines = [
        RatioLine("A", D("0.3333")),
        RatioLine("B", D("0.3333")),
        RatioLine("loss", D("0.3334"), residue=True),
    ]
    result = sort_standards(D("0.010"), lines)  # exact: 0.003333, 0.003333, 0.003334
    assert result == {"A": D("0.003"), "B": D("0.003"), "loss": D("0.004")}
    lines = [RatioLine("A", D("0.0005")), RatioLine("loss", D("0.9995"), residue=True)]
    assert sort_standards(D(1), lines) == {"A": D("0.001"), "loss": D("0.999")}


def test_a_tiny_residue_never_goes_negative() -> None:
    """Two outputs rounded up by 0.5 g each on 1 g: the residue of 0 would be −1 g."""
    lines = [
        RatioLine("A", D("0.5")),
        RatioLine("B", D("0.5")),
        RatioLine("loss", D(0), residue=True),
    ]
    result = sort_standards(D("0.001"), lines)
    assert sum(result.values()) == D("0.001")
    assert min(result.values()) >= 0


ratio_sets = st.lists(st.integers(1, 10_000), min_size=1, max_size=6).flatmap(
    lambda parts: st.integers(0, 10_000).map(lambda residue: (parts, residue))
)


@given(b=st.decimals(0, 1_000_000, places=3), parts=ratio_sets)
def test_sort_standards_always_sum_to_b_exactly(b, parts) -> None:
    outputs, residue = parts
    total = sum(outputs) + residue
    lines = [RatioLine(f"out{i}", D(p) / D(total)) for i, p in enumerate(outputs)]
    # Decimal division may not be exact: give the residue whatever makes the sum exactly 1
    lines.append(RatioLine("loss", D(1) - sum(line.ratio for line in lines), residue=True))
    if lines[-1].ratio < 0:
        return
    result = sort_standards(b, lines)
    assert sum(result.values()) == b
    assert all(v >= 0 for v in result.values())
    for line in lines[:-1]:
        assert abs(result[line.output] - b * line.ratio) < D("0.001")


def test_sort_standards_refuse_ratios_that_do_not_sum_to_one() -> None:
    with pytest.raises(Invalid) as err:
        sort_standards(D(1), [RatioLine("A", D("0.88")), RatioLine("loss", D("0.11"), True)])
    assert "lines" in err.value.fields


# ---- CP3 --------------------------------------------------------------------------------

BATCHES = [
    SortedBatch("S-1", "PA-OCC", D("300.000")),
    SortedBatch("S-2", "PA-OCC", D("250.500")),
    SortedBatch("S-3", "PA-OCC", D("400.000")),
]


def test_consume_takes_fifo_and_tracks_partial_batches() -> None:
    allocation = consume(BATCHES, D("500"), material="PA-OCC")
    assert [(c.batch_ref, c.kg) for c in allocation.consumptions] == [
        ("S-1", D("300.000")),
        ("S-2", D("200.000")),
    ]
    assert [b.remaining_kg for b in allocation.remaining] == [D(0), D("50.500"), D(400)]
    assert allocation.total_kg == D("500.000")
    assert bale_standard(allocation.consumptions) == D("500.000")


def test_over_consumption_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        consume(BATCHES, D("950.501"))
    assert err.value.fields == {"kg": "more than the batches hold"}
    with pytest.raises(Invalid) as err:
        consume_from(BATCHES, {"S-2": D("250.501")})
    assert err.value.fields == {"picks[S-2]": "more than the batch holds"}


def test_consume_from_takes_named_quantities() -> None:
    allocation = consume_from(BATCHES, {"S-3": D("400"), "S-2": D("0.5")})
    assert allocation.total_kg == D("400.500")
    assert [b.remaining_kg for b in allocation.remaining] == [D(300), D(250), D(0)]


def test_consume_refuses_unknown_batches_and_other_materials() -> None:
    with pytest.raises(Invalid) as err:
        consume_from(BATCHES, {"S-9": D(1)})
    assert err.value.fields == {"picks[S-9]": "unknown batch"}
    mixed = [*BATCHES, SortedBatch("S-4", "PL-PET", D(10))]
    with pytest.raises(Invalid) as err:
        consume(mixed, D(10), material="PA-OCC")
    assert err.value.fields == {"batches[3].material": "another material"}
    with pytest.raises(Invalid):
        consume(BATCHES, D(0))


# ---- CP4 --------------------------------------------------------------------------------


def test_outbound_standard_is_what_is_left_capped_by_the_vehicle() -> None:
    assert outbound_standard(D(30_000), D(0), D(18_000)) == D(18_000)
    assert outbound_standard(D(30_000), D(18_000), D(18_000)) == D(12_000)
    assert outbound_standard(D(30_000), D(18_000), None) == D(12_000)
    with pytest.raises(Invalid) as err:
        outbound_standard(D(30_000), D(30_000), D(18_000))
    assert err.value.fields == {"already_shipped": "plan fulfilled"}


def test_compare_outbound_checks_the_weighbridge_against_the_labels() -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(0)))
    result = compare_outbound(D(12_040), D("12000.5"), tol, division_kg=D(20))
    assert (result.a, result.b, result.d) == (D("12000.500"), D(12_040), D("39.500"))
    assert result.c == D(40)  # two weighbridge divisions
    assert result.result is Result.NORMAL
    assert compare_outbound(D(12_060), D(12_000), tol, division_kg=D(20)).result is Result.ANOMALY


# ---- the check --------------------------------------------------------------------------


def test_normal_iff_deviation_within_c_at_the_gram() -> None:
    at_limit = check(D(1000), D("995.000"), FIVE_KG, division_kg=E)
    assert (at_limit.result, at_limit.sign, at_limit.d, at_limit.x) == (
        Result.NORMAL,
        Side.SHORTFALL,
        D("-5.000"),
        D(1),
    )
    over = check(D(1000), D("994.999"), FIVE_KG, division_kg=E)
    assert over.result is Result.ANOMALY
    assert over.sign is Side.SHORTFALL
    # sub-gram differences are rounded before comparing: 994.9996 is 995.000
    assert check(D(1000), D("994.9996"), FIVE_KG, division_kg=E).result is Result.NORMAL


def test_the_sign_is_kept_and_c_is_the_side_applied() -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, D(1)), excess=Band(Basis.ABSOLUTE, D(10)))
    excess = check(D(100), D(108), tol, division_kg=E)
    assert (excess.sign, excess.c, excess.result) == (Side.EXCESS, D(10), Result.NORMAL)
    shortfall = check(D(100), D(92), tol, division_kg=E)
    assert (shortfall.sign, shortfall.c, shortfall.result) == (Side.SHORTFALL, D(1), Result.ANOMALY)
    assert shortfall.x == D(8)
    exact = check(D(100), D(100), tol, division_kg=E)
    assert (exact.sign, exact.d, exact.x) == (Side.EXACT, D(0), D(0))


def test_value_cap_breach_and_money_at_risk() -> None:
    tol = Tolerance(Band(Basis.ABSOLUTE, absolute_kg=D(5)), value_cap_fen=10_000)
    # copper at 65.30 元/kg: the cap is 1.531 kg; 2 kg short is 130.60 元 at risk
    result = check(D(100), D(98), tol, division_kg=E, unit_price_fen=6530)
    assert (result.c, result.c_source) == (D("1.531"), Source.VALUE_CAP)
    assert result.value_cap_breach
    assert result.value_fen == 13_060
    within = check(D(100), D("98.5"), tol, division_kg=E, unit_price_fen=6530)
    assert within.result is Result.NORMAL
    assert not within.value_cap_breach
    assert within.value_fen == 9795  # 1.5 × 6530
    assert not check(D(100), D(90), FIVE_KG, division_kg=E, unit_price_fen=6530).value_cap_breach


@given(
    a=st.decimals(0, 100_000, places=3),
    b=st.decimals(0, 100_000, places=3),
    absolute=st.decimals(0, 100, places=3),
)
def test_check_identities(a, b, absolute) -> None:
    result = check(a, b, Tolerance(Band(Basis.ABSOLUTE, absolute)), division_kg=E)
    assert result.d == b - a
    assert result.c >= 2 * E
    assert (result.result is Result.NORMAL) == (abs(result.d) <= result.c)
    assert (result.x <= 1) == (result.result is Result.NORMAL)
    assert result.sign is (Side.SHORTFALL if b < a else Side.EXCESS if b > a else Side.EXACT)


def test_check_refuses_negative_weights() -> None:
    with pytest.raises(Invalid) as err:
        check(D(-1), D(1), FIVE_KG, division_kg=E)
    assert err.value.fields == {"a": "negative"}
    with pytest.raises(Invalid) as err:
        check(D(1), D(-1), FIVE_KG, division_kg=E)
    assert err.value.fields == {"b": "negative"}


# ---- deductions -------------------------------------------------------------------------


def test_deductions_never_reduce_a_shortfall() -> None:
    """Wet paper 20 kg over its standard: deducting the water shows beside the check, and a
    shortfall stays a shortfall however much is deducted."""
    result = check(D(1000), D(960), FIVE_KG, division_kg=E)
    deducted = deduct(result, [Deduction(DeductionKind.WATER, D(30), "含水率 15%，合同 12%")])
    assert deducted.check is result
    assert deducted.check.result is Result.ANOMALY
    assert deducted.check.d == D(-40)
    assert (deducted.deducted_kg, deducted.accepted_kg) == (D(30), D(930))


def test_a_deduction_needs_a_reason_and_cannot_exceed_b() -> None:
    result = check(D(100), D(100), FIVE_KG, division_kg=E)
    with pytest.raises(Invalid) as err:
        deduct(result, [Deduction(DeductionKind.IMPURITY, D(1), "  ")])
    assert err.value.fields == {"deductions[0].reason": "required"}
    with pytest.raises(Invalid) as err:
        deduct(
            result,
            [
                Deduction(DeductionKind.IMPURITY, D(60), "泥沙"),
                Deduction(DeductionKind.WATER, D(41), "水分"),
            ],
        )
    assert err.value.fields == {"deductions": "more than the net weight"}
