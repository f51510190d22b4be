"""What can be measured on a lot, in which unit, within which physical range — per family.

Every measured value carries its unit, method and source; a value outside its physical range
is refused with the field named. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.errors import Invalid

ALL = frozenset({"FE", "NF", "PL", "PA", "TY", "EE", "VE", "TX", "GL", "BA"})
PERCENT_TOLERANCE = Decimal("0.01")  # rounding in lab reports; more than this over 100 % is wrong


class Source(StrEnum):
    """Where a value comes from; lab and weighbridge values outrank a producer's declaration."""

    DECLARED = "declared"
    LAB = "lab"
    WEIGHBRIDGE = "weighbridge"


@dataclass(frozen=True)
class PropertySpec:
    """A measurable property: its unit, physical range and the families it applies to."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    low: Decimal | None = None
    high: Decimal | None = None
    families: frozenset[str] = ALL
    choices: tuple[str, ...] = ()


def _pct(key: str, zh: str, en: str, families: Iterable[str] = ALL) -> PropertySpec:
    return PropertySpec(key, zh, en, "%", Decimal(0), Decimal(100), frozenset(families))


SPECS: dict[str, PropertySpec] = {
    s.key: s
    for s in (
        _pct("moisture_pct", "含水率", "Moisture"),
        _pct("contamination_pct", "杂质含量", "Contamination / impurities"),
        _pct("prohibited_pct", "禁止物含量", "Prohibited materials"),
        _pct("ash_pct", "灰分", "Ash", {"PA"}),
        PropertySpec(
            "mfr_g_10min",
            "熔体质量流动速率",
            "Melt flow rate",
            "g/10min",
            Decimal(0),
            Decimal(2000),
            frozenset({"PL"}),
        ),
        PropertySpec(
            "density_g_cm3",
            "密度",
            "Density",
            "g/cm3",
            Decimal("0.80"),
            Decimal("2.50"),
            frozenset({"PL", "TY", "GL"}),
        ),
        PropertySpec(
            "colour",
            "颜色",
            "Colour",
            "",
            families=frozenset({"PL", "GL", "TX"}),
            choices=("natural", "white", "black", "mixed", "transparent", "other"),
        ),
        PropertySpec(
            "thickness_class",
            "厚度等级",
            "Thickness class",
            "",
            families=frozenset({"FE", "NF"}),
            choices=("light", "medium", "heavy"),
        ),
        PropertySpec(
            "piece_size_mm",
            "块度",
            "Piece size",
            "mm",
            Decimal(0),
            Decimal(12000),
            frozenset({"FE", "NF", "PL", "GL", "TY"}),
        ),
        _pct("oil_pct", "含油率", "Oil content", {"FE", "NF"}),
        _pct("metal_content_pct", "金属含量", "Metal content", {"EE", "VE", "BA"}),
    )
}
# What a family must have measured for data-quality level 2 (physical properties with photos).
REQUIRED_FOR_DQL2: dict[str, tuple[str, ...]] = {
    "PA": ("moisture_pct", "contamination_pct"),
    "PL": ("contamination_pct", "density_g_cm3"),
    "FE": ("contamination_pct", "oil_pct"),
    "NF": ("contamination_pct", "oil_pct"),
    "TY": ("contamination_pct",),
    "EE": ("metal_content_pct",),
    "VE": ("metal_content_pct",),
    "TX": ("contamination_pct", "moisture_pct"),
    "GL": ("contamination_pct",),
    "BA": ("metal_content_pct",),
}
COMPOSITION_UNITS = ("%", "mg/kg")


@dataclass(frozen=True)
class Measurement:
    """One measured value with its unit, method and source."""

    key: str
    value: Decimal | str
    unit: str
    method: str
    source: Source


@dataclass(frozen=True)
class Component:
    """One line of a chemical composition: component, value and unit (% w/w or mg/kg)."""

    component: str
    value: Decimal
    unit: str
    method: str
    source: Source


def check_measurements(family: str, items: Iterable[Mapping[str, Any]]) -> list[Measurement]:
    """Validate measured properties for a family; raise Invalid naming every bad field."""
    problems: dict[str, str] = {}
    result: list[Measurement] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"properties.{i}"
        spec = SPECS.get(item["key"])
        if spec is None or family not in spec.families:
            problems[f"{where}.key"] = "not a property of this family"
            continue
        if spec.key in seen:
            problems[f"{where}.key"] = "given twice"
            continue
        seen.add(spec.key)
        if item["unit"] != spec.unit:
            problems[f"{where}.unit"] = f"must be {spec.unit!r}"
            continue
        value = item["value"]
        if spec.choices:
            if str(value) not in spec.choices:
                problems[f"{where}.value"] = f"one of {', '.join(spec.choices)}"
                continue
        else:
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                problems[f"{where}.value"] = "not a number"
                continue
            if (
                not value.is_finite()
                or (spec.low is not None and value < spec.low)
                or (spec.high is not None and value > spec.high)
            ):
                problems[f"{where}.value"] = f"outside {spec.low}–{spec.high} {spec.unit}"
                continue
        result.append(
            Measurement(
                spec.key,
                value,
                spec.unit,
                item.get("method", ""),
                Source(item.get("source", Source.DECLARED)),
            )
        )
    if problems:
        raise Invalid("测量值有误：%(names)s", problems, names=", ".join(problems))
    return result


def check_composition(items: Iterable[Mapping[str, Any]]) -> list[Component]:
    """Validate a composition: units known, values in range, percentages summing to ≤ 100 %."""
    problems: dict[str, str] = {}
    result: list[Component] = []
    for i, item in enumerate(items):
        where = f"composition.{i}"
        unit = item["unit"]
        value = Decimal(str(item["value"]))
        if unit not in COMPOSITION_UNITS:
            problems[f"{where}.unit"] = "% or mg/kg"
        elif (
            not value.is_finite()
            or value < 0
            or (unit == "%" and value > 100)
            or (unit == "mg/kg" and value > 1_000_000)
        ):
            problems[f"{where}.value"] = "outside the physical range"
        else:
            result.append(
                Component(
                    item["component"],
                    value,
                    unit,
                    item.get("method", ""),
                    Source(item.get("source", Source.DECLARED)),
                )
            )
    percent = sum((c.value for c in result if c.unit == "%"), Decimal(0))
    percent += sum((c.value / 10_000 for c in result if c.unit == "mg/kg"), Decimal(0))
    if percent > 100 + PERCENT_TOLERANCE:
        problems["composition"] = f"components sum to {percent.normalize()} % (> 100 %)"
    if problems:
        raise Invalid("成分有误：%(names)s", problems, names=", ".join(problems))
    return result
