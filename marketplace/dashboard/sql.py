"""Membership tests over long id lists, cheap on both databases.

`col IN (:p1, …, :p900)` costs more to build and parse than to run: psycopg splits the query
text per placeholder, which the profile of a 30-day cluster read put at half its time. On
PostgreSQL one array parameter (`col = ANY(:ids)`) carries the whole list in one query; SQLite
has no arrays and a limit of 999 parameters, so there the list goes in chunks of `IN`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import local_day, postgres  # noqa: F401  (the calendar in SQL, for the readers here)


def parts(values: Sequence[Any], n: int = 900) -> Iterator[Sequence[Any]]:
    """The whole list once on PostgreSQL; chunks of `n` elsewhere."""
    if postgres():
        if values:
            yield values
        return
    for i in range(0, len(values), n):
        yield values[i : i + n]


def one_of(col: Any, values: Sequence[Any], item: Any) -> Any:
    """`col` is one of `values` (`item`: the SQL type of one element)."""
    if postgres():
        return col == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(item)))
    return col.in_(list(values))


def family_expr() -> tuple[Any, Any, Any]:
    """(family code, factor material) of a category: its own, else its parent's."""
    parent = aliased(Category)
    fam = sa.func.coalesce(parent.code, Category.code)
    mat = sa.func.coalesce(Category.factor_material, parent.factor_material)
    return parent, fam, mat


def org_filter(cols: list[Any], orgs: frozenset[int] | None) -> Any:
    """Any of `cols` is one of the organisations (None: every organisation, no condition)."""
    if orgs is None:
        return sa.true()
    ids = sorted(orgs)
    return sa.or_(*(one_of(c, ids, sa.Integer) for c in cols))


def day_period_of(col: Any, periods: Sequence[Any]) -> Any:
    """Which period (index) a calendar-day column falls in; NULL for none."""
    return sa.case(*((col.between(p.start, p.end), i) for i, p in enumerate(periods)))


def period_of(col: Any, bounds: Sequence[tuple[Any, Any]]) -> Any:
    """Which period (index into `bounds`, each [lo, hi)) a timestamp falls in; NULL for none:
    several periods grouped in one query."""
    return sa.case(*((sa.and_(col >= lo, col < hi), i) for i, (lo, hi) in enumerate(bounds)))
