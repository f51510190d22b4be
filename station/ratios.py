"""Sorting ratios (分拣比例): what one kilogram of an input material becomes when it is sorted.

A ratio set for an input material lists its outputs with their shares, e.g. 1 kg of mixed
plastic packaging → 0.885 kg high-value plastic + 0.115 kg 二类纸. The shares must sum to
exactly 1 (as Decimals, no tolerance) *including* one explicit residue/loss line: a set that
sums to 0.97 would hide three percent of every receipt, so the loss must be stated.

Ratio sets are versioned: each version has a validity [valid_from, valid_until) (UTC, the end
exclusive, None = open-ended), and the versions of one input material may not overlap, so the
ratio valid at any moment is unambiguous. A sort is checked with the version valid when the
receipt was sorted, so an old record keeps the standard it was checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from core.errors import Invalid


@dataclass(frozen=True)
class RatioLine:
    """One output of a sort and its share of the input (0 < ratio ≤ 1; the residue may be 0)."""

    output: str
    ratio: Decimal
    residue: bool = False


@dataclass(frozen=True)
class RatioVersion:
    """A validated version of an input material's ratio set and when it applies."""

    input_material: str
    lines: tuple[RatioLine, ...]
    valid_from: datetime
    valid_until: datetime | None = None
    version: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", validate(self.lines))
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware (UTC)")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise Invalid("有效期结束必须晚于开始", {"valid_until": "not after valid_from"})
        if not self.input_material.strip():
            raise Invalid("请填写投入物料", {"input_material": "required"})

    def valid_at(self, at: datetime) -> bool:
        """Whether this version applies at `at` (start inclusive, end exclusive)."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware (UTC)")
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)


def validate(lines: Sequence[RatioLine]) -> tuple[RatioLine, ...]:
    """The lines as a tuple if they form a valid ratio set; otherwise Invalid naming the field.

    Rules: at least two lines (an output and the residue), outputs named and distinct, every
    ratio a finite Decimal in (0, 1] (the residue line may be 0: a loss-free sort stated as
    such), exactly one residue line, and the ratios summing to exactly 1.
    """
    lines = tuple(lines)
    if len(lines) < 2:
        raise Invalid(
            "分拣比例至少需要一个产出行和一个残余/损耗行",
            {"lines": "needs an output and a residue"},
        )
    seen: set[str] = set()
    total = Decimal(0)
    for i, line in enumerate(lines):
        if not isinstance(line, RatioLine):
            raise TypeError(f"lines[{i}] must be a RatioLine")
        output = line.output.strip()
        if not output:
            raise Invalid("请填写产出物料", {f"lines[{i}].output": "required"})
        if output in seen:
            raise Invalid("产出物料重复", {f"lines[{i}].output": "duplicate"})
        seen.add(output)
        ratio = line.ratio
        if isinstance(ratio, bool | float) or not isinstance(ratio, Decimal | int):
            raise TypeError(f"lines[{i}].ratio must be a Decimal")
        ratio = Decimal(ratio)
        if not ratio.is_finite() or not (ratio >= 0 if line.residue else ratio > 0) or ratio > 1:
            raise Invalid("分拣比例必须大于 0 且不超过 1", {f"lines[{i}].ratio": "not in (0, 1]"})
        total += ratio
    residues = [i for i, line in enumerate(lines) if line.residue]
    if len(residues) != 1:
        raise Invalid(
            "分拣比例必须有且只有一个残余/损耗行",
            {"lines": f"{len(residues)} residue lines, need exactly 1"},
        )
    if total != 1:
        raise Invalid(
            "分拣比例之和必须等于 1（当前为 %(total)s）",
            {"lines": f"sum is {total}, not 1"},
            total=str(total),
        )
    return lines


def check_versions(versions: Sequence[RatioVersion]) -> None:
    """Refuse versions of different input materials mixed together, or overlapping validity."""
    if not versions:
        return
    material = versions[0].input_material
    for i, version in enumerate(versions):
        if version.input_material != material:
            raise Invalid(
                "比例版本必须属于同一投入物料", {f"versions[{i}].input_material": "mixed"}
            )
    order = sorted(range(len(versions)), key=lambda i: versions[i].valid_from)
    for prev, nxt in pairwise(order):
        end = versions[prev].valid_until
        if end is None or end > versions[nxt].valid_from:
            raise Invalid(
                "分拣比例版本 %(a)s 与 %(b)s 的有效期重叠",
                {f"versions[{nxt}].valid_from": "overlaps another version"},
                a=versions[prev].version,
                b=versions[nxt].version,
            )


def active(versions: Sequence[RatioVersion], at: datetime) -> RatioVersion | None:
    """The version valid at `at`, or None (the caller records the sort as `no_standard`).

    The versions are checked first, so overlapping validity is refused, never resolved by
    picking one.
    """
    check_versions(versions)
    for version in versions:
        if version.valid_at(at):
            return version
    return None
