"""The data-quality level (DQL 1–4) of a lot's archive, and what it lacks for the next level.

1: identity + classification + quantity — who, where, what grade, how much.
2: + the family's physical properties measured, with at least one photo.
3: + composition verified by a lab report (lab name, accreditation number, method, date).
4: + batch traceability (work orders or generation period) and compliance documents.
A buyer filters on DQL; the producer sees the list of what to add. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace.lots.properties import REQUIRED_FOR_DQL2, Source


@dataclass(frozen=True)
class ArchiveFacts:
    """What the quality rule needs to know about one archive version."""

    family: str
    has_site: bool
    has_grade: bool
    has_quantity: bool
    measured: frozenset[str] = frozenset()
    n_photos: int = 0
    lab_composition: bool = False  # at least one composition line with source=lab
    n_lab_reports: int = 0
    batch_traced: bool = False  # work orders or a generation period given
    n_compliance_docs: int = 0
    hazardous: bool = False
    hw_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Quality:
    """The level reached (0 when even level 1 is incomplete) and what the next level needs."""

    level: int
    missing: tuple[str, ...] = field(default_factory=tuple)


def _level_gaps(facts: ArchiveFacts) -> list[list[str]]:
    """For levels 1..4, the missing items of each level on its own."""
    l1 = [
        name
        for ok, name in (
            (facts.has_site, "site"),
            (facts.has_grade, "grade"),
            (facts.has_quantity, "quantity"),
            (not facts.hazardous or bool(facts.hw_codes), "hw_codes"),
        )
        if not ok
    ]
    needed = REQUIRED_FOR_DQL2.get(facts.family, ())
    l2 = [f"property:{k}" for k in needed if k not in facts.measured]
    if facts.n_photos < 1:
        l2.append("photo")
    l3 = []
    if facts.n_lab_reports < 1:
        l3.append("lab_report")
    if not facts.lab_composition:
        l3.append(f"composition:{Source.LAB.value}")
    l4 = [
        name
        for ok, name in (
            (facts.batch_traced, "batch_source"),
            (facts.n_compliance_docs >= 1, "compliance_document"),
        )
        if not ok
    ]
    return [l1, l2, l3, l4]


def assess(facts: ArchiveFacts) -> Quality:
    """Levels are cumulative: the first level with a gap stops the climb."""
    for level, gaps in enumerate(_level_gaps(facts), start=1):
        if gaps:
            return Quality(level - 1, tuple(gaps))
    return Quality(4, ())
