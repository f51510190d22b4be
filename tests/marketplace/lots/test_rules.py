"""Pure lot rules: measured properties, composition, data quality, moisture adjustment."""

from decimal import Decimal

import pytest

from core.errors import Invalid
from marketplace.lots.moisture import settlement_grams
from marketplace.lots.properties import check_composition, check_measurements
from marketplace.lots.quality import ArchiveFacts, assess


def m(key, value, unit, source="declared"):
    return {"key": key, "value": value, "unit": unit, "method": "GB/T 462", "source": source}


def test_measurements_are_checked_per_family() -> None:
    ok = check_measurements("PA", [m("moisture_pct", "12.5", "%"), m("ash_pct", 8, "%")])
    assert [x.key for x in ok] == ["moisture_pct", "ash_pct"]
    assert ok[0].value == Decimal("12.5")


@pytest.mark.parametrize(
    ("family", "item", "field"),
    [
        ("PA", m("moisture_pct", "120", "%"), "properties.0.value"),  # over 100 %
        ("PA", m("moisture_pct", "-1", "%"), "properties.0.value"),
        ("PA", m("moisture_pct", "12", "g"), "properties.0.unit"),  # wrong unit
        ("PA", m("mfr_g_10min", "12", "g/10min"), "properties.0.key"),  # not for paper
        ("PL", m("density_g_cm3", "7.8", "g/cm3"), "properties.0.value"),  # that is steel
        ("PL", m("colour", "plaid", ""), "properties.0.value"),
        ("PA", m("moisture_pct", "abc", "%"), "properties.0.value"),
        ("PA", m("moisture_pct", "NaN", "%"), "properties.0.value"),
    ],
)
def test_impossible_measurements_name_the_field(family, item, field) -> None:
    with pytest.raises(Invalid) as err:
        check_measurements(family, [item])
    assert field in err.value.fields


def test_a_property_given_twice_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        check_measurements("PA", [m("moisture_pct", 1, "%"), m("moisture_pct", 2, "%")])
    assert "properties.1.key" in err.value.fields


def comp(name, value, unit="%"):
    return {"component": name, "value": value, "unit": unit, "method": "XRF", "source": "lab"}


def test_composition_sums_to_at_most_100_percent() -> None:
    ok = check_composition([comp("PP", "96.5"), comp("PE", "3.5"), comp("Pb", "80", "mg/kg")])
    assert len(ok) == 3
    check_composition([comp("PP", "60.004"), comp("PE", "40.004")])  # lab rounding tolerated
    with pytest.raises(Invalid) as err:
        check_composition([comp("PP", "70"), comp("PE", "40")])
    assert "composition" in err.value.fields
    with pytest.raises(Invalid) as err:
        check_composition([comp("PP", "100"), comp("Cd", "200000", "mg/kg")])  # 20 % as mg/kg
    assert "composition" in err.value.fields


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (comp("PP", "101"), "composition.0.value"),
        (comp("PP", "-2"), "composition.0.value"),
        (comp("PP", "5", "ppm"), "composition.0.unit"),
    ],
)
def test_bad_composition_lines(item, field) -> None:
    with pytest.raises(Invalid) as err:
        check_composition([item])
    assert field in err.value.fields


BASE = ArchiveFacts(family="PA", has_site=True, has_grade=True, has_quantity=True)


def test_dql_climbs_level_by_level() -> None:
    assert assess(
        ArchiveFacts(family="PA", has_site=True, has_grade=False, has_quantity=True)
    ).missing == ("grade",)
    q1 = assess(BASE)
    assert q1.level == 1
    assert q1.missing == ("property:moisture_pct", "property:contamination_pct", "photo")
    l2 = ArchiveFacts(
        **{
            **BASE.__dict__,
            "measured": frozenset({"moisture_pct", "contamination_pct"}),
            "n_photos": 2,
        }
    )
    assert assess(l2).level == 2
    assert assess(l2).missing == ("lab_report", "composition:lab")
    l3 = ArchiveFacts(**{**l2.__dict__, "n_lab_reports": 1, "lab_composition": True})
    assert assess(l3).level == 3
    assert assess(l3).missing == ("batch_source", "compliance_document")
    l4 = ArchiveFacts(**{**l3.__dict__, "batch_traced": True, "n_compliance_docs": 1})
    assert assess(l4).level == 4
    assert assess(l4).missing == ()


def test_levels_are_cumulative() -> None:
    """A lab report without photos does not make level 3."""
    facts = ArchiveFacts(
        **{
            **BASE.__dict__,
            "n_lab_reports": 1,
            "lab_composition": True,
            "batch_traced": True,
            "n_compliance_docs": 1,
        }
    )
    assert assess(facts).level == 1


def test_hazardous_lot_needs_hw_codes_for_level_1() -> None:
    facts = ArchiveFacts(
        family="BA", has_site=True, has_grade=True, has_quantity=True, hazardous=True
    )
    assert assess(facts).level == 0
    assert assess(facts).missing == ("hw_codes",)


def test_moisture_adjustment() -> None:
    # 10 t at 15 % against a 12 % contract: 10 000 kg × 0.85 / 0.88 = 9659.09… kg
    assert settlement_grams(10_000_000, Decimal(15), Decimal(12)) == 9_659_090
    assert settlement_grams(10_000_000, Decimal(8), Decimal(12)) == 10_000_000  # drier: no bonus
    assert settlement_grams(0, Decimal(50), Decimal(12)) == 0
    with pytest.raises(ValueError, match="moisture"):
        settlement_grams(1000, Decimal(100), Decimal(12))
    with pytest.raises(TypeError):
        settlement_grams(1000, 15.0, Decimal(12))  # type: ignore[arg-type]
