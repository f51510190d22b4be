"""Passport tables: events, per-lot chains, the global Merkle log, lot heads, checkpoints.

Append-only tables (``APPEND_ONLY``) are guarded by database triggers that refuse every UPDATE
and DELETE, on PostgreSQL and SQLite alike (``passport.triggers``); no code path changes a row
once written. Corrections are new rows (an error declaration and a corrective event).

- ``passport_events``: one row per stored event, its RFC 8785 canonical JSON and SHA-256;
  ``replay_key`` is the ``eventID`` (``decl:<eventID>`` for an error declaration, which EPCIS
  gives the same ID as the event it declares), unique, so a replay is refused by the database
  too. Query columns (type, times, bizStep …) are copies for the EPCIS query interface.
- ``passport_event_epcs``: every EPC / EPC class an event names (``MATCH_epc``, ``MATCH_anyEPC``).
- ``passport_chain_entries``: the per-lot hash chain (unique ``(lot, seq)``), each with its
  leaf index in the global log (unique).
- ``passport_log_nodes``: every complete subtree hash of the global log ``(level, index)``
  (``merkle.NodeStore``), so proofs never rebuild the tree. The size is the count of level-0
  nodes.
- ``passport_lots``: the lots and packages the platform knows, with their current chain head
  (the only mutable table: the head moves as events are appended) and optional GS1 keys.
- ``passport_checkpoints`` and ``passport_checkpoint_heads``: signed checkpoints and the heads
  snapshot each one commits to (so bundles can prove a head at any published checkpoint).
- ``passport_error_declarations``: which event was declared wrong, by which declaration, with
  which corrective events.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db

HASH = sa.String(64)


class PassportLot(db.Model):
    """A lot or package with a passport, and its current chain head (seq 0: no event yet)."""

    __tablename__ = "passport_lots"

    lot: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    head: Mapped[str | None] = mapped_column(HASH)
    gtin: Mapped[str | None] = mapped_column(sa.String(14))
    sscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    # a capture chain (events pushed by another EPCIS system about EPCs we do not manage)
    captured: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_passport_lots_gtin_lot", "gtin", "lot"),)


class PassportEvent(db.Model):
    """One stored EPCIS event (immutable)."""

    __tablename__ = "passport_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    replay_key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    event_id: Mapped[str] = mapped_column(sa.String(300), index=True)
    hash: Mapped[str] = mapped_column(HASH, unique=True)
    canonical: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.String(40))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    record_time: Mapped[datetime] = mapped_column(UTCDateTime)
    biz_step: Mapped[str | None] = mapped_column(sa.String(300))
    disposition: Mapped[str | None] = mapped_column(sa.String(300))
    read_point: Mapped[str | None] = mapped_column(sa.String(300))
    biz_location: Mapped[str | None] = mapped_column(sa.String(300))
    declaration: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # the capture request that brought it (None for events the platform made itself), the
    # organisation that sent it, and the capture document's @context when it was not ours
    capture_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    captured_by: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    context: Mapped[str | None] = mapped_column(sa.Text)


class PassportEventEpc(db.Model):
    """An EPC or EPC class an event names, for the EPC filters of the query interface.

    ``role``: ``epc`` (epcList, childEPCs), ``io`` (input/output EPC lists), ``parent``
    (parentID), ``class`` (quantityList, childQuantityList), ``ioclass`` (input/output
    quantity lists) — what ``MATCH_epc``, ``MATCH_anyEPC``, ``MATCH_epcClass`` … distinguish.
    """

    __tablename__ = "passport_event_epcs"

    event_pk: Mapped[int] = mapped_column(sa.ForeignKey("passport_events.id"), primary_key=True)
    epc: Mapped[str] = mapped_column(sa.String(300), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(8), primary_key=True)


class PassportChainEntry(db.Model):
    """One link of a lot's hash chain (see ``passport.chain``)."""

    __tablename__ = "passport_chain_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot: Mapped[str] = mapped_column(sa.String(40))
    seq: Mapped[int] = mapped_column(sa.Integer)
    event_pk: Mapped[int] = mapped_column(sa.ForeignKey("passport_events.id"), index=True)
    event_hash: Mapped[str] = mapped_column(HASH)
    prev: Mapped[str] = mapped_column(HASH)
    hash: Mapped[str] = mapped_column(HASH)
    log_index: Mapped[int] = mapped_column(sa.BigInteger, unique=True)

    __table_args__ = (sa.UniqueConstraint("lot", "seq"),)


class PassportLogNode(db.Model):
    """A complete subtree of the global Merkle log: leaves [index·2^level, (index+1)·2^level)."""

    __tablename__ = "passport_log_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class PassportCheckpoint(db.Model):
    """A signed checkpoint (``passport.checkpoint``) as published."""

    __tablename__ = "passport_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    body: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of the body
    key_id: Mapped[str] = mapped_column(HASH)
    signature: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PassportCheckpointHead(db.Model):
    """A lot's head as committed by one checkpoint's heads root."""

    __tablename__ = "passport_checkpoint_heads"

    checkpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("passport_checkpoints.id"), primary_key=True
    )
    lot: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    head: Mapped[str] = mapped_column(HASH)


class PassportErrorDeclaration(db.Model):
    """An event declared wrong: the declaration event and the corrective events."""

    __tablename__ = "passport_error_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_pk: Mapped[int] = mapped_column(sa.ForeignKey("passport_events.id"), unique=True)
    declaration_pk: Mapped[int] = mapped_column(sa.ForeignKey("passport_events.id"))
    reason: Mapped[str] = mapped_column(sa.String(300))
    corrective_ids: Mapped[str] = mapped_column(sa.Text)  # JSON list of eventIDs
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PassportMaintenance(db.Model):
    """While a row exists, the append-only triggers let DELETE through (test teardown only)."""

    __tablename__ = "passport_maintenance"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


APPEND_ONLY = (
    "passport_events",
    "passport_event_epcs",
    "passport_chain_entries",
    "passport_log_nodes",
    "passport_checkpoints",
    "passport_checkpoint_heads",
    "passport_error_declarations",
)
