"""Sorting ratio sets: exactly 1 with a residue line, versions without overlap."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from core.errors import Invalid
from station.ratios import RatioLine, RatioVersion, active, validate

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PLASTIC = (RatioLine("高值塑料", D("0.885")), RatioLine("二类纸", D("0.115"), residue=True))


def version(n, start_days, end_days, lines=PLASTIC, material="混合塑料包装"):
    return RatioVersion(
        material,
        lines,
        T0 + timedelta(days=start_days),
        None if end_days is None else T0 + timedelta(days=end_days),
        n,
    )


def test_a_set_summing_to_one_with_a_residue_line_is_valid() -> None:
    assert validate(list(PLASTIC)) == PLASTIC
    three = [
        RatioLine("黄板纸", D("0.62")),
        RatioLine("白板纸", D("0.30")),
        RatioLine("杂质/损耗", D("0.08"), residue=True),
    ]
    assert len(validate(three)) == 3


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([RatioLine("A", D("0.885")), RatioLine("B", D("0.114"), True)], "lines"),
        ([RatioLine("A", D("0.885")), RatioLine("B", D("0.116"), True)], "lines"),
        ([RatioLine("A", D("0.885")), RatioLine("B", D("0.115"))], "lines"),  # no residue
        ([RatioLine("A", D("0.5"), True), RatioLine("B", D("0.5"), True)], "lines"),
        ([RatioLine("A", D(1), True)], "lines"),  # the residue alone
        ([RatioLine("A", D("0.9")), RatioLine("A", D("0.1"), True)], "lines[1].output"),
        ([RatioLine(" ", D("0.9")), RatioLine("B", D("0.1"), True)], "lines[0].output"),
        ([RatioLine("A", D(0)), RatioLine("B", D(1), True)], "lines[0].ratio"),
        ([RatioLine("A", D("1.1")), RatioLine("B", D("-0.1"), True)], "lines[0].ratio"),
        ([RatioLine("A", D(1)), RatioLine("B", D("-0"), True), RatioLine("C", D("NaN"))], None),
    ],
)
def test_invalid_sets_are_refused_naming_the_field(lines, field) -> None:
    with pytest.raises(Invalid) as err:
        validate(lines)
    if field:
        assert field in err.value.fields


def test_a_zero_residue_is_allowed_when_stated() -> None:
    assert validate([RatioLine("A", D(1)), RatioLine("loss", D(0), residue=True)])


def test_the_sum_is_exact_not_approximate() -> None:
    thirds = [
        RatioLine("A", D(1) / 3),
        RatioLine("B", D(1) / 3),
        RatioLine("loss", D(1) / 3, residue=True),
    ]  # 0.999…9 with 28 digits: not 1
    with pytest.raises(Invalid) as err:
        validate(thirds)
    assert "lines" in err.value.fields


def test_active_picks_the_version_valid_at_the_time() -> None:
    newer = (RatioLine("高值塑料", D("0.9")), RatioLine("二类纸", D("0.1"), residue=True))
    versions = [version(1, 0, 30), version(2, 30, None, newer)]
    assert active(versions, T0).version == 1
    assert active(versions, T0 + timedelta(days=30) - timedelta(seconds=1)).version == 1
    assert active(versions, T0 + timedelta(days=30)).version == 2  # the end is exclusive
    assert active(versions, T0 + timedelta(days=400)).version == 2
    assert active(versions, T0 - timedelta(seconds=1)) is None  # before any: no standard


def test_overlapping_versions_are_refused() -> None:
    with pytest.raises(Invalid) as err:
        active([version(1, 0, 31), version(2, 30, None)], T0)
    assert err.value.fields == {"versions[1].valid_from": "overlaps another version"}
    with pytest.raises(Invalid):
        active([version(2, 30, 60), version(1, 0, None)], T0)  # open-ended covers the later one


def test_versions_of_different_materials_are_not_mixed() -> None:
    with pytest.raises(Invalid) as err:
        active([version(1, 0, 30), version(2, 30, None, material="纸箱")], T0)
    assert err.value.fields == {"versions[1].input_material": "mixed"}


def test_a_version_must_end_after_it_starts() -> None:
    with pytest.raises(Invalid) as err:
        version(1, 5, 5)
    assert err.value.fields == {"valid_until": "not after valid_from"}
    with pytest.raises(Invalid) as err:
        version(1, 0, 5, lines=(RatioLine("A", D("0.5")), RatioLine("B", D("0.4"), True)))
    assert "lines" in err.value.fields
