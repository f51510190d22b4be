"""The per-lot hash chain: every event of a lot, in order, each entry bound to the one before.

An entry is ``{"lot", "seq", "event_hash", "prev", "hash"}``:

- ``seq`` counts 1, 2, 3 … without gaps, per lot;
- ``event_hash`` is the SHA-256 of the RFC 8785 canonical JSON of the event as it stands in the
  EPCIS document's ``eventList`` (no ``@context``);
- ``prev`` is the previous entry's ``hash`` (64 zeros for ``seq`` 1);
- ``hash`` is the SHA-256 of the canonical JSON of ``{"event", "lot", "prev", "seq"}`` — the
  entry without its own hash.

One event can sit in several chains: a sorting split is in the input's chain (its last step)
and starts each output's chain; the output's event records the input's head in ``ilmd``.
Each entry's canonical JSON (``ChainEntry.leaf()``) is one leaf of the global Merkle log.

``verify_chain`` recomputes everything and reports each gap, reorder, wrong link and wrong hash
with its place, rather than stopping at the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import Invalid
from passport import problems as P
from passport.canonical import ZERO_HASH, canonical, canonical_hash, is_hash
from passport.ids import validate_id
from passport.problems import Problem, problem


def entry_hash(lot: str, seq: int, event_hash: str, prev: str) -> str:
    """The hash of an entry: SHA-256 of the canonical JSON of its four fields."""
    return canonical_hash({"event": event_hash, "lot": lot, "prev": prev, "seq": seq}, "entry")


def event_hash(event: Mapping[str, Any]) -> str:
    """The content hash of an event (RFC 8785 canonical JSON, SHA-256 hex)."""
    return canonical_hash(event, "event")


@dataclass(frozen=True)
class ChainEntry:
    """One link of a lot's chain (see the module docstring for the fields)."""

    lot: str
    seq: int
    event_hash: str
    prev: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot,
            "seq": self.seq,
            "event_hash": self.event_hash,
            "prev": self.prev,
            "hash": self.hash,
        }

    def leaf(self) -> bytes:
        """The bytes this entry contributes to the global Merkle log (its canonical JSON)."""
        return canonical(self.to_json(), "entry")

    @classmethod
    def from_json(cls, data: object, field: str = "entry") -> ChainEntry:
        """An entry from its JSON form; wrong types or shapes are `Invalid` naming the field."""
        if not isinstance(data, Mapping):
            raise Invalid("链条目格式错误：%(reason)s", {field: "not an object"}, reason="object")
        for key in ("lot", "seq", "event_hash", "prev", "hash"):
            if key not in data:
                raise Invalid(
                    "链条目格式错误：%(reason)s", {f"{field}.{key}": "required"}, reason=key
                )
        seq = data["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise Invalid(
                "链条目格式错误：%(reason)s", {f"{field}.seq": "positive integer"}, reason="seq"
            )
        for key in ("event_hash", "prev", "hash"):
            if not is_hash(data[key]):
                raise Invalid(
                    "链条目格式错误：%(reason)s", {f"{field}.{key}": "sha-256 hex"}, reason=key
                )
        validate_id(data["lot"], f"{field}.lot")
        return cls(data["lot"], seq, data["event_hash"], data["prev"], data["hash"])


def next_entry(head: ChainEntry | None, lot: str, event: Mapping[str, Any]) -> ChainEntry:
    """The entry that appends `event` to the chain whose current last entry is `head`."""
    validate_id(lot)
    if head is not None and head.lot != lot:
        raise ValueError(f"head belongs to {head.lot}, not {lot}")
    seq = 1 if head is None else head.seq + 1
    prev = ZERO_HASH if head is None else head.hash
    digest = event_hash(event)
    return ChainEntry(lot, seq, digest, prev, entry_hash(lot, seq, digest, prev))


def build_chain(lot: str, events: Sequence[Mapping[str, Any]]) -> list[ChainEntry]:
    """The whole chain of `events` in order (tests, demos, re-verification)."""
    entries: list[ChainEntry] = []
    for event in events:
        entries.append(next_entry(entries[-1] if entries else None, lot, event))
    return entries


def verify_chain(
    lot: str, entries: Sequence[ChainEntry | Mapping[str, Any]], where: str = "chain"
) -> list[Problem]:
    """Every problem of a lot's chain: malformed, wrong lot, gap, reorder, link and hash."""
    found: list[Problem] = []
    if not entries:
        return [problem("chain.empty", where, P.CHAIN_EMPTY, lot=lot)]
    expected_seq = 1
    previous: ChainEntry | None = None
    for position, raw in enumerate(entries):
        place = f"{where}[{position}]"
        try:
            entry = raw if isinstance(raw, ChainEntry) else ChainEntry.from_json(raw, place)
        except Invalid as error:
            reason = ", ".join(f"{k}: {v}" for k, v in error.fields.items())
            found.append(problem("chain.malformed", place, P.CHAIN_MALFORMED, reason=reason))
            previous = None
            expected_seq += 1
            continue
        if entry.lot != lot:
            found.append(
                problem("chain.wrong_lot", place, P.CHAIN_WRONG_LOT, found=entry.lot, lot=lot)
            )
        if entry.seq > expected_seq:
            found.append(
                problem("chain.gap", place, P.CHAIN_GAP, expected=expected_seq, found=entry.seq)
            )
        elif entry.seq < expected_seq:
            found.append(
                problem("chain.order", place, P.CHAIN_ORDER, expected=expected_seq, found=entry.seq)
            )
        if position == 0 and entry.prev != ZERO_HASH:
            found.append(problem("chain.link", place, P.CHAIN_LINK, seq=entry.seq, prev_seq=0))
        elif previous is not None and entry.prev != previous.hash:
            found.append(
                problem("chain.link", place, P.CHAIN_LINK, seq=entry.seq, prev_seq=previous.seq)
            )
        if entry.hash != entry_hash(entry.lot, entry.seq, entry.event_hash, entry.prev):
            found.append(problem("chain.hash", place, P.CHAIN_HASH, seq=entry.seq))
        previous = entry
        expected_seq = entry.seq + 1 if entry.seq >= expected_seq else expected_seq + 1
    return found
