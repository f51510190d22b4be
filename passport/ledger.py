"""An in-memory passport ledger: the reference of how the pieces fit, for tests and benchmarks.

The platform's edge does the same with tables, in one transaction per event:

1. validate the event (``validate.validate_event``) and refuse a replayed ``eventID``;
2. for each lot the event names (inputs before outputs, ``ledger.lots_of``): build the next
   chain entry from the lot's head (``chain.next_entry``) and append its leaf to the global log
   (``MerkleLog.append(entry.leaf())``), keeping the leaf index with the entry;
3. on a schedule: snapshot every lot's head into a ``HeadsTree``, sign a checkpoint of the log
   size and root and the heads root (``checkpoint.sign``) and publish it;
4. for an export: ``bundle.build_bundle`` with the proofs at that checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import Conflict
from passport import checkpoint as cp
from passport import epcis
from passport.bundle import build_bundle
from passport.chain import ChainEntry, event_hash, next_entry
from passport.ids import MalformedIdentifier, parse_uri
from passport.merkle import HeadsTree, MemoryNodeStore, MerkleLog, NodeStore


def lots_of(event: Mapping[str, Any]) -> list[str]:
    """The lot IDs an event names, inputs before outputs, each once (non-lot URIs skipped)."""
    found: list[str] = []
    for uri in epcis.classes(event):
        try:
            lot = parse_uri(uri).lot_id
        except MalformedIdentifier:
            continue
        if lot and lot not in found:
            found.append(lot)
    return found


class Ledger:
    """Events, per-lot chains, the global log, checkpoints and bundles, all in memory."""

    def __init__(self, origin: str, store: NodeStore | None = None) -> None:
        self.origin = origin
        self.log = MerkleLog(store if store is not None else MemoryNodeStore())
        self.events: dict[str, dict[str, Any]] = {}  # by content hash
        self.event_ids: set[str] = set()
        self.chains: dict[str, list[tuple[ChainEntry, int]]] = {}
        self.snapshots: dict[int, HeadsTree] = {}
        self.history: list[dict[str, Any]] = []  # events in the order they were appended

    def head(self, lot: str) -> tuple[int, str] | None:
        """(seq, hash) of a lot's last entry, or None for a lot without a chain."""
        chain = self.chains.get(lot)
        return (chain[-1][0].seq, chain[-1][0].hash) if chain else None

    def heads(self) -> dict[str, tuple[int, str]]:
        return {lot: (c[-1][0].seq, c[-1][0].hash) for lot, c in self.chains.items()}

    def append(self, event: Mapping[str, Any]) -> list[tuple[ChainEntry, int]]:
        """Append an event to the chain of every lot it names; a replayed ``eventID`` is a 409."""
        identifier = event.get("eventID")
        declaration = "errorDeclaration" in event
        if identifier in self.event_ids and not declaration:
            raise Conflict("事件编号已存在（重复提交）", {"eventID": "replayed"})
        lots = lots_of(event)
        if not lots:
            raise ValueError("the event names no lot")
        self.events[event_hash(event)] = dict(event)
        self.history.append(dict(event))
        self.event_ids.add(str(identifier))
        appended = []
        for lot in lots:
            chain = self.chains.setdefault(lot, [])
            entry = next_entry(chain[-1][0] if chain else None, lot, event)
            index = self.log.append(entry.leaf())
            chain.append((entry, index))
            appended.append((entry, index))
        return appended

    def transform(
        self,
        inputs: Sequence[epcis.Portion],
        outputs: Sequence[epcis.Portion],
        *,
        at: datetime,
        kind: str = "sorting",
    ) -> dict[str, Any]:
        """Build and append a transformation with the inputs' current heads; returns the event."""
        heads = {}
        for portion in inputs:
            head = self.head(parse_uri(portion.lot).lot_id or "")
            if head is None:
                raise ValueError(f"input {portion.lot} has no chain yet")
            heads[portion.lot] = head
        event = epcis.transformation(inputs, outputs, at=at, kind=kind, input_heads=heads)  # type: ignore[arg-type]
        self.append(event)
        return event

    def checkpoint(self, key: Ed25519PrivateKey, at: datetime) -> dict[str, Any]:
        """Sign a checkpoint of the current state; its heads snapshot is kept for bundles."""
        heads = HeadsTree(self.heads())
        self.snapshots[self.log.size] = heads
        body = cp.make_checkpoint(
            self.origin, self.log.size, self.log.root(), heads.root, heads.count, at
        )
        return cp.sign(body, key)

    def ancestors(self, lot: str) -> list[str]:
        """`lot` and every lot upstream of it through transformations, nearest first."""
        order, todo = [lot], [lot]
        while todo:
            current = todo.pop()
            for entry, _index in self.chains.get(current, []):
                event = self.events[entry.event_hash]
                if event.get("type") != "TransformationEvent":
                    continue
                outputs = {
                    parse_uri(q["epcClass"]).lot_id for q in event.get("outputQuantityList", [])
                }
                if current not in outputs:
                    continue
                for q in event.get("inputQuantityList", []):
                    parent = parse_uri(q["epcClass"]).lot_id
                    if parent and parent not in order:
                        order.append(parent)
                        todo.append(parent)
        return order

    def bundle(
        self,
        lot: str,
        signed: Mapping[str, Any],
        public_key_pem: str,
        *,
        at: datetime,
        older: Mapping[str, Any] | None = None,
        with_ancestors: bool = True,
    ) -> dict[str, Any]:
        """The export bundle of `lot` at the signed checkpoint (and from `older`, if given)."""
        size = signed["body"]["tree_size"]
        lots = self.ancestors(lot) if with_ancestors else [lot]
        chains = {name: [(e, i) for e, i in self.chains[name] if i < size] for name in lots}
        hashes: list[str] = []
        for entries in chains.values():
            for entry, _index in entries:
                if entry.event_hash not in hashes:
                    hashes.append(entry.event_hash)
        proof = None
        if older is not None:
            proof = (older, self.log.consistency_proof(older["body"]["tree_size"], size))
        return build_bundle(
            lot,
            events=[self.events[h] for h in hashes],
            chains=chains,
            log=self.log,
            heads=self.snapshots[size],
            checkpoint=signed,
            public_key_pem=public_key_pem,
            created_at=at,
            older=proof,
        )
