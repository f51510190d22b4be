"""The material catalogue (再生资源品类) and the emission factors it points to.

Reference data every domain needs (lots, station sorting, dashboard), so it sits in the kernel.
It is seeded from `core/data/` and managed by the platform admin afterwards.
"""

from __future__ import annotations

import csv
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db
from core.errors import Invalid

DATA_DIR = Path(__file__).parent / "data"
CATALOGUE_FILE = DATA_DIR / "catalogue.toml"
FACTORS_FILE = DATA_DIR / "recycling_factors_defra2025.csv"
FACTOR_BASIS = "DEFRA-2025"
HW_CODE = re.compile(r"^\d{3}-\d{3}-\d{2}$")


class Category(db.Model):
    """A material family (level 1) or a grade within it (level 2)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(24), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    hazardous: Mapped[bool] = mapped_column(default=False)
    hw_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    factor_material: Mapped[str | None] = mapped_column(sa.String(120))
    typical_density_kg_m3: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.code"
    )

    @property
    def family_code(self) -> str:
        """The family this category belongs to (itself for a family)."""
        return self.parent.code if self.parent is not None else self.code

    def effective_factor_material(self) -> str | None:
        """The grade's own factor row, else its family's."""
        if self.factor_material:
            return self.factor_material
        return self.parent.factor_material if self.parent is not None else None

    def __repr__(self) -> str:
        return f"<Category {self.code}>"


class EmissionFactor(db.Model):
    """A recycling emission factor row with its provenance; one basis per dashboard."""

    __tablename__ = "emission_factors"
    __table_args__ = (sa.UniqueConstraint("basis", "material", name="basis_material"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    basis: Mapped[str] = mapped_column(sa.String(20))
    material: Mapped[str] = mapped_column(sa.String(120))
    kg_co2e_per_tonne: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    year: Mapped[int]
    source: Mapped[str] = mapped_column(sa.Text)
    source_table: Mapped[str] = mapped_column(sa.Text)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<EmissionFactor {self.basis} {self.material}>"


def validate_hw_codes(codes: list[str], field: str = "hw_codes") -> list[str]:
    """Refuse anything that is not a 国家危险废物名录 code of the form xxx-xxx-xx."""
    bad = [c for c in codes if not HW_CODE.match(c)]
    if bad:
        raise Invalid(
            "危险废物代码格式应为xxx-xxx-xx：%(codes)s",
            {field: "bad HW code"},
            codes=", ".join(bad),
        )
    return codes


def read_catalogue(path: Path = CATALOGUE_FILE) -> list[dict[str, Any]]:
    """Parse the catalogue file into family dicts (each with its `grade` list)."""
    with path.open("rb") as fh:
        return tomllib.load(fh)["family"]


def seed_factors(path: Path = FACTORS_FILE) -> int:
    """Insert or update the DEFRA 2025 factor rows; returns how many rows the file had."""
    existing = {
        f.material: f
        for f in db.session.scalars(
            sa.select(EmissionFactor).where(EmissionFactor.basis == FACTOR_BASIS)
        )
    }
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        factor = existing.get(row["material"]) or EmissionFactor(
            basis=FACTOR_BASIS, material=row["material"]
        )
        factor.kg_co2e_per_tonne = Decimal(row["factor_kgco2e_per_tonne_recycled_vs_virgin"])
        factor.year = int(row["year"])
        factor.source = row["source"]
        factor.source_table = row["source_table"]
        factor.notes = row["notes"]
        db.session.add(factor)
    return len(rows)


def seed_catalogue(path: Path = CATALOGUE_FILE) -> int:
    """Insert or update families and grades from the data file; returns the number of categories.

    Idempotent, keyed by code, so it can run on every deploy without duplicating rows.
    """
    known = {f.material for f in db.session.scalars(sa.select(EmissionFactor))}
    existing = {c.code: c for c in db.session.scalars(sa.select(Category))}
    count = 0

    def upsert(data: dict[str, Any], parent: Category | None) -> Category:
        nonlocal count
        material = data.get("factor_material")
        if material and material not in known:
            raise Invalid(
                "%(code)s：排放因子 %(material)s 不在 %(basis)s 因子表中",
                code=data["code"],
                material=material,
                basis=FACTOR_BASIS,
            )
        cat = existing.get(data["code"]) or Category(code=data["code"])
        cat.parent = parent
        cat.name_zh = data["name_zh"]
        cat.name_en = data["name_en"]
        cat.hazardous = bool(data.get("hazardous", False))
        cat.hw_codes = validate_hw_codes(list(data.get("hw_codes", [])))
        cat.factor_material = material
        cat.typical_density_kg_m3 = data.get("typical_density_kg_m3")
        db.session.add(cat)
        count += 1
        return cat

    for family in read_catalogue(path):
        parent = upsert(family, None)
        for grade in family.get("grade", []):
            upsert(grade, parent)
    return count
