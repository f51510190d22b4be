"""Independent dashboard reads at once (`sql.gather`): results in order, one snapshot for all,
a reader's error is the request's."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import Cluster
from marketplace.dashboard import sql


def _clusters() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Cluster))


def test_results_come_back_in_the_order_asked(app) -> None:
    reads = [lambda n=n: (n, _clusters()) for n in range(7)]
    assert sql.gather(reads) == [(n, 0) for n in range(7)]


def test_a_readers_error_is_the_callers(app) -> None:
    def broken() -> int:
        raise ValueError("kaputt")

    with pytest.raises(ValueError, match="kaputt"):
        sql.gather([_clusters, broken, _clusters])


def test_reads_at_once_share_one_snapshot(app, database_url) -> None:
    """A row committed by someone else after the read began is in none of its parts, whichever
    reader runs which; with the switch off the reads run in turn and the later ones see it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite reads in turn on one connection: there is no snapshot to share")
    committed = threading.Event()

    def commit_elsewhere() -> int:
        with db.engine.begin() as other:
            other.execute(sa.insert(Cluster).values(code="SZ", name_zh="深圳", name_en="Shenzhen"))
        committed.set()
        return _clusters()

    def after_it() -> int:
        assert committed.wait(10)
        return _clusters()

    assert sql.gather([commit_elsewhere, after_it, after_it, after_it]) == [0, 0, 0, 0]
    db.session.rollback()
    assert _clusters() == 1  # committed all along
    app.config["DASHBOARD_PARALLEL_READS"] = False
    committed.clear()
    db.session.execute(sa.delete(Cluster))
    db.session.commit()
    assert sql.gather([commit_elsewhere, after_it]) == [1, 1]
