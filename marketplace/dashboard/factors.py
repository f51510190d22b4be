"""The versioned emission-factor table: load the shipped CSV, read one edition as `Factors`.

One basis per dashboard (DEFRA-2025); a material whose category names no factor row, or whose
row is missing, gets no CO2 figure rather than a borrowed one.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.db import db
from marketplace.dashboard.models import DashboardFactor
from marketplace.dashboard.records import FactorRef, Factors

DATA = Path(__file__).with_name("data") / "factors_defra2025.csv"
VERSION = "DEFRA-2025"
LADEN_KEY = "freight:All HGVs:Average laden"
EMPTY_KEY = "freight:All HGVs:0% Laden"


def rows(path: Path = DATA) -> list[dict[str, Any]]:
    """The CSV rows as column dicts with typed value and date."""
    with path.open(newline="", encoding="utf-8") as fh:
        out = []
        for row in csv.DictReader(fh):
            row["value"] = Decimal(row["value"])
            row["valid_from"] = date.fromisoformat(row["valid_from"])
            out.append(row)
    return out


def load(path: Path = DATA) -> int:
    """Insert the rows not yet in the table (by version and key); returns how many were added."""
    have = set(db.session.execute(sa.select(DashboardFactor.version, DashboardFactor.key)).all())
    added = 0
    for row in rows(path):
        if (row["version"], row["key"]) in have:
            continue
        db.session.add(DashboardFactor(**row))
        added += 1
    db.session.flush()
    return added


def ref(f: DashboardFactor) -> FactorRef:
    return FactorRef(f.key, Decimal(f.value), f.unit, f.version, f.source, f.source_table, f.laden)


def current(version: str = VERSION) -> Factors:
    """One edition of the table as the formulas read it."""
    found = db.session.scalars(
        sa.select(DashboardFactor).where(DashboardFactor.version == version)
    ).all()
    recycling = {f.key: ref(f) for f in found if f.kind == "recycling"}
    transport = {f.key: ref(f) for f in found if f.kind == "transport"}
    return Factors(recycling, transport.get(LADEN_KEY), transport.get(EMPTY_KEY))
