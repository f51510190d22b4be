"""The global Merkle log over the ``passport_log_nodes`` table (a ``merkle.NodeStore``).

Every complete subtree is a row ``(level, index, hash)`` written once; a proof reads its
O(log n) nodes in one query and never rebuilds the tree. The size is the number of leaves,
``max(index) + 1`` at level 0 — read through the primary key, O(log n), not a count.

Appends are serialised: on PostgreSQL a transaction-scoped advisory lock (``lock``) is taken
before the size is read, so two transactions cannot both append leaf n (the primary key
would refuse the second anyway); SQLite allows one writer at a time by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from core.db import db
from passport.merkle import Key, MerkleLog, _inclusion_ranges, _peaks
from passport.models import PassportLogNode

ADVISORY_LOCK = 0x48_4C_50_50  # "HLPP"
nodes = PassportLogNode.__table__


def lock() -> None:
    """Serialise appends to the log for the rest of the transaction (PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})


class DbNodeStore:
    """``merkle.NodeStore`` in the caller's transaction; the size is cached once read."""

    def __init__(self) -> None:
        self._size: int | None = None

    def size(self) -> int:
        if self._size is None:
            top = db.session.execute(
                sa.select(sa.func.max(nodes.c.index)).where(nodes.c.level == 0)
            ).scalar()
            self._size = 0 if top is None else int(top) + 1
        return self._size

    def get_nodes(self, keys: Sequence[Key]) -> list[bytes]:
        if not keys:
            return []
        wanted = list(dict.fromkeys(keys))
        found: dict[Key, bytes] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            rows = db.session.execute(
                sa.select(nodes.c.level, nodes.c.index, nodes.c.hash).where(
                    sa.tuple_(nodes.c.level, nodes.c.index).in_(chunk)
                )
            )
            found.update({(level, index): bytes(value) for level, index, value in rows})
        try:
            return [found[key] for key in keys]
        except KeyError as error:
            raise KeyError(f"log node {error.args[0]} missing: stored log damaged") from error

    def append_nodes(self, new: Sequence[tuple[int, int, bytes]], new_size: int) -> None:
        db.session.execute(
            nodes.insert(), [{"level": lv, "index": ix, "hash": value} for lv, ix, value in new]
        )
        self._size = new_size


class PrefetchedNodeStore(DbNodeStore):
    """The stored log with every node the inclusion proofs of `indexes` need read at once.

    A bundle proves each of its entries; reading each proof's nodes separately would be one
    round trip per entry, so the union of their keys is read in a few batched queries first.
    """

    def __init__(self, indexes: Sequence[int], size: int) -> None:
        super().__init__()
        keys = {
            key
            for index in indexes
            for start, end in _inclusion_ranges(index, 0, size)
            for key in _peaks(start, end)
        }
        ordered = sorted(keys)
        self.cache = dict(zip(ordered, super().get_nodes(ordered), strict=True))

    def get_nodes(self, keys: Sequence[Key]) -> list[bytes]:
        missing = [key for key in keys if key not in self.cache]
        found = dict(zip(missing, super().get_nodes(missing), strict=True)) if missing else {}
        return [self.cache[key] if key in self.cache else found[key] for key in keys]


def stored_log() -> MerkleLog:
    """The global log as stored (reads only what each question needs)."""
    return MerkleLog(DbNodeStore())
