"""SQL helpers of the dashboard's readers: membership tests over long id lists, cheap on both
databases, and independent reads run at once (`gather`).

`col IN (:p1, …, :p900)` costs more to build and parse than to run: psycopg splits the query
text per placeholder, which the profile of a 30-day cluster read put at half its time. On
PostgreSQL one array parameter (`col = ANY(:ids)`) carries the whole list in one query; SQLite
has no arrays and a limit of 999 parameters, so there the list goes in chunks of `IN`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from core.catalogue import Category
from core.db import db, local_day, postgres  # noqa: F401  (the calendar in SQL, for the readers)

T = TypeVar("T")
SNAPSHOT = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")  # what pg_export_snapshot answers
# Three readers: the request's thread waits (its own transaction reads committed data afresh
# per statement, so it would not see the one snapshot). On two cores three beat two (one
# reader's Python runs while the others wait on the database); more only queue.
HELPERS = 3
PREFIX = "dashboard-read"
_READERS = ThreadPoolExecutor(max_workers=HELPERS, thread_name_prefix=PREFIX)


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


def gather(reads: Sequence[Callable[[], T]], *, at_once: bool = True) -> list[T]:
    """The results of independent reads, in order, the reads run at once on PostgreSQL.

    A cluster's `/indicators` is some twenty grouped queries of 10–60 ms each; one after the
    other they keep one core of the database busy while the other waits. Here helper threads
    read on connections of their own, each taking the next read as it finishes one, all inside
    the snapshot the request's transaction exports (`pg_export_snapshot`, then `SET
    TRANSACTION SNAPSHOT` in a repeatable-read transaction): every figure sees the same
    committed data, as if read in one transaction. Only what is committed is in it: the
    dashboard's reads write nothing but their summaries, which commit before. On SQLite, with
    `DASHBOARD_PARALLEL_READS` off, and when the caller says the reads are small (`at_once`
    false), they run in turn on the request's connection.
    """
    if (
        len(reads) < 2
        or not at_once
        or not postgres()
        or not current_app.config["DASHBOARD_PARALLEL_READS"]
        or threading.current_thread().name.startswith(PREFIX)  # a read's own reads: in turn
    ):
        return [read() for read in reads]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    snapshot = db.session.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
    if not SNAPSHOT.fullmatch(snapshot):
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")

    queue = list(enumerate(reads))
    taken = threading.Lock()
    results: dict[int, T] = {}

    def drain() -> None:  # take the next read until none is left
        while True:
            with taken:
                if not queue:
                    return
                i, read = queue.pop(0)
            results[i] = read()

    def helper() -> None:
        with app.app_context():
            conn = db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # no binds here
            try:
                drain()
            finally:
                db.session.rollback()

    helpers = [_READERS.submit(helper) for _ in range(min(HELPERS, len(reads)))]
    for h in helpers:
        h.result()  # a helper's error is the request's
    return [results[i] for i in range(len(reads))]
