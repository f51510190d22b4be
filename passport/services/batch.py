"""Appending prepared events in a handful of statements, however many there are.

``store.record`` (one event) and ``store.record_many`` (a capture document, a benchmark, a
seeding run) check each event first (``store.prepare``) and then hand the list here, which
writes it all in the caller's transaction with one statement per table: the events (ids back
by RETURNING, in order), their EPCs, the chain entries, the Merkle log's new nodes, the new
lots, the moved heads and any error declarations. The chain and the log are computed in
Python from the heads and the log's edge read once; so a lifecycle step costs about ten round
trips, and a hundred captured events about the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.db import db
from core.errors import Conflict, NotFound
from passport.canonical import ZERO_HASH
from passport.chain import ChainEntry, entry_hash
from passport.epcs import epc_roles
from passport.merkle import Key, MerkleLog, leaf_hash
from passport.models import (
    PassportChainEntry,
    PassportErrorDeclaration,
    PassportEvent,
    PassportEventEpc,
    PassportLot,
)
from passport.services.log import DbNodeStore, lock


@dataclass
class Pending:
    """One checked event, ready to append (see ``store.prepare``)."""

    event: Mapping[str, Any]
    lots: list[str]
    row: dict[str, Any]  # the passport_events columns
    new_lots: set[str] = field(default_factory=set)  # outputs a transformation brings into being
    declares: int | None = None  # the declared event's row id, for a declaration row
    declared_at: datetime | None = None

    @property
    def declaration(self) -> Mapping[str, Any]:
        return self.event.get("errorDeclaration") or {}


@dataclass(frozen=True)
class Recorded:
    """What one event appended: its row id and each chain entry with its leaf index."""

    event_pk: int
    event_id: str
    hash: str
    entries: tuple[tuple[ChainEntry, int], ...]


class CachedNodeStore(DbNodeStore):
    """The stored log, with the nodes this batch appends kept in memory and written at once."""

    def __init__(self) -> None:
        super().__init__()
        self.new: dict[Key, bytes] = {}

    def get_nodes(self, keys: Sequence[Key]) -> list[bytes]:
        missing = [key for key in keys if key not in self.new]
        found = dict(zip(missing, super().get_nodes(missing), strict=True)) if missing else {}
        return [self.new[key] if key in self.new else found[key] for key in keys]

    def append_nodes(self, new: Sequence[tuple[int, int, bytes]], new_size: int) -> None:
        for level, index, value in new:
            self.new[(level, index)] = value
        self._size = new_size

    def flush(self) -> None:
        if self.new:
            nodes = [(lv, ix, v) for (lv, ix), v in self.new.items()]
            DbNodeStore.append_nodes(self, nodes, self.size())


def _refuse_replays(pending: Sequence[Pending]) -> None:
    keys = [p.row["replay_key"] for p in pending]
    hashes = [p.row["hash"] for p in pending]
    if len(set(keys)) != len(keys) or len(set(hashes)) != len(hashes):
        raise Conflict("事件编号已存在（重复提交）", {"eventID": "replayed"})
    clash = sa.or_(PassportEvent.replay_key.in_(keys), PassportEvent.hash.in_(hashes))
    if db.session.scalar(sa.select(PassportEvent.id).where(clash).limit(1)):
        raise Conflict("事件编号已存在（重复提交）", {"eventID": "replayed"})


def _heads(pending: Sequence[Pending]) -> dict[str, list[Any]]:
    """[seq, head, is_new] of every lot the batch names; unknown ones refused."""
    names = sorted({lot for p in pending for lot in p.lots})
    rows = db.session.execute(
        sa.select(PassportLot.lot, PassportLot.seq, PassportLot.head)
        .where(PassportLot.lot.in_(names))
        .with_for_update()
    )
    heads: dict[str, list[Any]] = {lot: [seq, head, False] for lot, seq, head in rows}
    for p in pending:
        for lot in p.lots:
            if lot not in heads:
                if lot not in p.new_lots:
                    raise NotFound("未知批次：%(lot)s", {"lot": lot}, lot=lot)
                heads[lot] = [0, None, True]
    return heads


def append(pending: Sequence[Pending], *, at: datetime) -> list[Recorded]:
    """Write every pending event, its chain entries and log leaves (see the module docstring)."""
    if not pending:
        return []
    lock()
    _refuse_replays(pending)
    heads = _heads(pending)
    ids = db.session.scalars(
        sa.insert(PassportEvent).returning(PassportEvent.id, sort_by_parameter_order=True),
        [p.row for p in pending],
    ).all()
    epcs = [
        {"event_pk": pk, "epc": epc[:300], "role": role}
        for pk, p in zip(ids, pending, strict=True)
        for epc, role in dict.fromkeys(epc_roles(p.event))
    ]
    store = CachedNodeStore()
    log = MerkleLog(store)
    entries, recorded, touched = [], [], set()
    for pk, p in zip(ids, pending, strict=True):
        digest, appended = p.row["hash"], []
        for lot in p.lots:
            head = heads[lot]
            seq, prev = head[0] + 1, head[1] or ZERO_HASH
            entry = ChainEntry(lot, seq, digest, prev, entry_hash(lot, seq, digest, prev))
            index = log.append_leaf_hash(leaf_hash(entry.leaf()))
            entries.append({**entry.to_json(), "event_pk": pk, "log_index": index})
            head[0], head[1] = seq, entry.hash
            touched.add(lot)
            appended.append((entry, index))
        recorded.append(Recorded(pk, p.row["event_id"], digest, tuple(appended)))
    if epcs:
        db.session.execute(PassportEventEpc.__table__.insert(), epcs)
    store.flush()
    db.session.execute(PassportChainEntry.__table__.insert(), entries)
    new = [lot for lot in touched if heads[lot][2]]
    if new:
        db.session.execute(
            PassportLot.__table__.insert(),
            [
                {
                    "lot": lot,
                    "seq": heads[lot][0],
                    "head": heads[lot][1],
                    "captured": False,
                    "created_at": at,
                }
                for lot in new
            ],
        )
    moved = [{"lot": lot, "seq": heads[lot][0], "head": heads[lot][1]} for lot in touched]
    moved = [m for m in moved if not heads[m["lot"]][2]]
    if moved:
        db.session.execute(sa.update(PassportLot), moved)
    declarations = [
        {
            "event_pk": p.declares,
            "declaration_pk": pk,
            "reason": str(p.event["errorDeclaration"].get("reason") or "")[:300],
            "corrective_ids": json.dumps(
                p.event["errorDeclaration"].get("correctiveEventIDs") or []
            ),
            "declared_at": p.declared_at,
        }
        for pk, p in zip(ids, pending, strict=True)
        if p.declares is not None
    ]
    if declarations:
        db.session.execute(PassportErrorDeclaration.__table__.insert(), declarations)
    for lot in touched:  # the session's copies of the heads are stale now
        cached = db.session.identity_map.get(db.session.identity_key(PassportLot, lot))
        if cached is not None:
            db.session.expire(cached)
    return recorded
