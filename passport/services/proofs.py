"""Checkpoints, export bundles and verification of a lot from the database.

**Checkpoints** (``make_checkpoint``) snapshot every lot's head into the heads tree, sign the
log size and root and the heads root with the platform's Ed25519 key, and store the signed
checkpoint with its heads snapshot (so a bundle can prove any lot's head at any published
checkpoint). The key is generated on first use into the instance folder (mode 0600), never
into the database; ``public_key_pem`` is what the checkpoints page publishes.

**Bundles** (``export_bundle``) are ``passport.bundle`` documents at the latest checkpoint: the
lot's chain and its ancestors' (through transformations), their events, inclusion proofs from
the stored log, head proofs, the checkpoint and the public key — everything
``python -m passport.verify_bundle`` needs offline. With ``older`` (an earlier checkpoint's
tree size) the bundle carries the consistency proof from it.

**Verify** (``verify_lot``) exports the lot's bundle and verifies it against the platform's
published key, exactly as an outsider would.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.db import db
from core.errors import Conflict, NotFound
from core.time import utcnow
from passport import checkpoint as cp
from passport.bundle import build_bundle
from passport.canonical import canonical
from passport.ids import MalformedIdentifier, parse_uri
from passport.merkle import HeadsTree, MerkleLog
from passport.models import PassportCheckpoint, PassportCheckpointHead, PassportLot
from passport.services import config, store
from passport.services.log import PrefetchedNodeStore, lock, stored_log
from passport.verify import Report, verify_bundle

PUBLIC_INTERVAL = timedelta(seconds=60)


def private_key() -> Ed25519PrivateKey:
    """The platform's signing key (generated on first use, outside the database)."""
    return cp.load_or_create_private_key(config.key_path())


def public_key_pem() -> str:
    """The public key every checkpoint is verified with, as published."""
    return cp.public_key_to_pem(private_key().public_key())


def signed(row: PassportCheckpoint) -> dict[str, Any]:
    """A stored checkpoint in its published form ``{"body", "key_id", "signature"}``."""
    return {"body": json.loads(row.body), "key_id": row.key_id, "signature": row.signature}


def make_checkpoint(at: datetime | None = None) -> PassportCheckpoint:
    """Sign and store a checkpoint of the log and every head now (in the caller's transaction)."""
    lock()  # no append between reading the size and the heads
    at = at or utcnow()
    log = stored_log()
    rows = db.session.execute(
        sa.select(PassportLot.lot, PassportLot.seq, PassportLot.head).where(PassportLot.seq > 0)
    ).all()
    heads = HeadsTree({lot: (seq, head) for lot, seq, head in rows})
    body = cp.make_checkpoint(config.host(), log.size, log.root(), heads.root, heads.count, at)
    signature = cp.sign(body, private_key())
    row = PassportCheckpoint(
        tree_size=body.tree_size,
        body=canonical(body.to_json(), "checkpoint").decode("utf-8"),
        key_id=signature["key_id"],
        signature=signature["signature"],
        created_at=at,
    )
    db.session.add(row)
    db.session.flush()
    if rows:
        db.session.execute(
            PassportCheckpointHead.__table__.insert(),
            [{"checkpoint_id": row.id, "lot": lot, "seq": seq, "head": h} for lot, seq, h in rows],
        )
    return row


def checkpoint_if_changed(at: datetime | None = None) -> PassportCheckpoint | None:
    """A new checkpoint when the log grew since the last one (the scheduled job); else None."""
    row, size = latest_checkpoint(), stored_log().size
    if size == 0 or (row is not None and row.tree_size == size):
        return None
    return make_checkpoint(at)


def latest_checkpoint() -> PassportCheckpoint | None:
    return db.session.scalar(
        sa.select(PassportCheckpoint).order_by(PassportCheckpoint.id.desc()).limit(1)
    )


def checkpoints(limit: int = 50) -> list[PassportCheckpoint]:
    """The most recent checkpoints, newest first."""
    return list(
        db.session.scalars(
            sa.select(PassportCheckpoint).order_by(PassportCheckpoint.id.desc()).limit(limit)
        )
    )


def current_checkpoint(lot: str, *, fresh: bool = True) -> PassportCheckpoint:
    """The latest checkpoint, or a new one when it does not commit to the lot's current head.

    Public pages pass ``fresh=False``: then a checkpoint younger than ``PUBLIC_INTERVAL`` that
    already holds the lot is used as it is (the bundle stops at its tree size), so scanning
    cannot make checkpoints faster than one a minute per lot.
    """
    row = latest_checkpoint()
    head = store.get_lot(lot)
    if head.seq == 0:
        raise NotFound("这个批次还没有任何事件", {"lot": "no events"})
    if row is not None:
        committed = db.session.get(PassportCheckpointHead, (row.id, lot))
        recent = utcnow() - row.created_at < PUBLIC_INTERVAL
        if committed is not None and (committed.seq == head.seq or (recent and not fresh)):
            return row
    return make_checkpoint()


def ancestors(lot: str, size: int) -> list[str]:
    """`lot` and every lot upstream of it through transformations, nearest first."""
    order, todo = [lot], [lot]
    while todo:
        current = todo.pop()
        entries = store.chain(current, size)
        events = store.events_by_pk([pk for _e, _i, pk in entries])
        for _entry, _index, pk in entries:
            event = events[pk]
            if event.get("type") != "TransformationEvent":
                continue
            outputs = {_lot_of(q.get("epcClass")) for q in event.get("outputQuantityList", [])}
            if current not in outputs:
                continue
            for q in event.get("inputQuantityList", []):
                parent = _lot_of(q.get("epcClass"))
                if parent and parent not in order:
                    order.append(parent)
                    todo.append(parent)
    return order


def _lot_of(uri: object) -> str | None:
    try:
        return parse_uri(uri).lot_id
    except MalformedIdentifier:
        return None


def export_bundle(
    lot: str, *, older: int | None = None, at: datetime | None = None, fresh: bool = True
) -> dict[str, Any]:
    """The export bundle of `lot` at the current checkpoint (see the module docstring)."""
    row = current_checkpoint(lot, fresh=fresh)
    size = row.tree_size
    lots = ancestors(lot, size)
    chains, pks = {}, []
    for name in lots:
        entries = store.chain(name, size)
        chains[name] = [(entry, index) for entry, index, _pk in entries]
        pks.extend(pk for _e, _i, pk in entries if pk not in pks)
    events = store.events_by_pk(pks)
    heads_rows = db.session.execute(
        sa.select(
            PassportCheckpointHead.lot, PassportCheckpointHead.seq, PassportCheckpointHead.head
        ).where(PassportCheckpointHead.checkpoint_id == row.id)
    ).all()
    heads = HeadsTree({name: (seq, head) for name, seq, head in heads_rows})
    proof = None
    if older is not None:
        kept = db.session.scalar(
            sa.select(PassportCheckpoint).where(PassportCheckpoint.tree_size == older).limit(1)
        )
        if kept is None or kept.tree_size > size:
            raise Conflict("没有这个大小的已发布检查点", {"older": "unknown"})
        proof = (signed(kept), stored_log().consistency_proof(kept.tree_size, size))
    indexes = [index for entries in chains.values() for _entry, index in entries]
    return build_bundle(
        lot,
        events=[events[pk] for pk in pks],
        chains=chains,
        log=MerkleLog(PrefetchedNodeStore(indexes, size)),
        heads=heads,
        checkpoint=signed(row),
        public_key_pem=public_key_pem(),
        created_at=at or utcnow(),
        older=proof,
    )


def verify_lot(lot: str, *, fresh: bool = True) -> Report:
    """Verify a lot from the database as an outsider would: its bundle, with the published key."""
    bundle = export_bundle(lot, fresh=fresh)
    return verify_bundle(bundle, trusted_key=public_key_pem())
