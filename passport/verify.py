"""Verify an export bundle (format in ``passport.bundle``): every problem, with what and where.

Checks, in order (each reports and carries on, so one tamper shows all its consequences):

1. **shape** of the bundle; **key**: the bundle's public key, and — when the caller pins one
   (``trusted_key``, the key the platform publishes) — that it is that key;
2. **checkpoint**: its Ed25519 signature over the RFC 8785 body;
3. **context and schema** of the EPCIS document: its ``@context`` must be the standard one the
   events were hashed under (``creationDate`` is the export's own time and not protected); the
   shipped 2.0.1 schema plus any `extra` schemas; JSON-LD expansion when ``expand=True``;
4. **events**: each event's ID against its content; each event in some chain and each chain
   entry's event in the document (by the event's canonical hash), about the chain's lot;
5. **chains**: contiguous sequence, links and entry hashes (``chain.verify_chain``);
6. **inclusion** of every entry in the checkpoint's log (RFC 6962 audit paths), in log order;
7. **heads**: each chain ends at the head the checkpoint's heads tree commits to (truncation);
8. **lineage**: a transformation's recorded input heads are in the inputs' chains, followed by
   the transformation; outputs do not outweigh inputs;
9. **older checkpoint**: signed by the same key and consistent with the current one (RFC 6962
   consistency proof); with ``kept`` (a checkpoint the user saved), the bundle must prove
   consistency from exactly that one.

A history rewritten and rehashed throughout fails 2 (or, re-signed with the platform's key,
fails 9 against any checkpoint published before the rewrite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from core.errors import Invalid
from passport import checkpoint as cp
from passport import problems as P
from passport.bundle import FORMAT
from passport.chain import ChainEntry, event_hash, verify_chain
from passport.epcis import CONTEXT, EVENT_ID_PREFIX, EVENT_ID_SUFFIX, classes, event_id
from passport.epcs import capture_chain, epcs_of
from passport.ids import MalformedIdentifier, parse_uri, validate_id
from passport.lineage import DEFAULT_TOLERANCE, Tolerance
from passport.merkle import HeadProof, leaf_hash, verify_consistency, verify_head, verify_inclusion
from passport.problems import Problem, problem
from passport.validate import expand as expand_jsonld
from passport.validate import quick_schema_errors, schema_errors

CHAIN_FIELDS = ("lot", "seq", "event_hash", "prev", "hash")


@dataclass
class Report:
    """The outcome: ``ok`` when nothing was found; ``problems`` otherwise."""

    lot: str | None = None
    problems: list[Problem] = field(default_factory=list)
    events: int = 0
    tree_size: int | None = None
    key_id: str | None = None
    checkpoint_time: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "ok": self.ok,
            "lot": self.lot,
            "events": self.events,
            "tree_size": self.tree_size,
            "key_id": self.key_id,
            "checkpoint_time": self.checkpoint_time,
            "problems": [
                {"code": p.code, "where": p.where, "message": p.text(lang)} for p in self.problems
            ],
        }


def _hexes(values: object) -> list[bytes] | None:
    if not isinstance(values, list):
        return None
    try:
        return (
            [bytes.fromhex(v) for v in values if isinstance(v, str)]
            if all(isinstance(v, str) for v in values)
            else None
        )
    except ValueError:
        return None


def _lot_ids(event: Mapping[str, Any]) -> set[str]:
    """The lots an event is about: lot URIs it names, and the capture chains of its EPCs."""
    found = {capture_chain(epc) for epc in epcs_of(event)}
    for uri in classes(event):
        try:
            lot = parse_uri(uri).lot_id
        except MalformedIdentifier:
            continue
        if lot:
            found.add(lot)
    return found


def _signed_body(
    signed: object, key: Any, where: str, report: Report, signature_code: str, message: str
) -> cp.Checkpoint | None:
    """The checkpoint body; a bad signature is reported but the body still used to go on."""
    body_json = signed.get("body") if isinstance(signed, Mapping) else None
    try:
        body = cp.Checkpoint.from_json(body_json, f"{where}.body")
    except Invalid as error:
        reason = ", ".join(f"{k}: {v}" for k, v in error.fields.items())
        report.problems.append(
            problem("checkpoint.malformed", where, P.CHECKPOINT_MALFORMED, reason=reason)
        )
        return None
    if key is not None:
        try:
            cp.verify(signed, key, where)
        except Invalid:
            report.problems.append(problem(signature_code, where, message))
    return body


def verify_bundle(
    bundle: object,
    *,
    trusted_key: str | None = None,
    kept: Mapping[str, Any] | None = None,
    extra: Sequence[tuple[str, jsonschema.Draft7Validator]] = (),
    expand: bool = False,
    tolerance: Tolerance = DEFAULT_TOLERANCE,
) -> Report:
    """Check a bundle completely; see the module docstring for what is checked."""
    report = Report()
    add = report.problems.append
    if not isinstance(bundle, Mapping) or bundle.get("format") != FORMAT:
        add(problem("bundle.malformed", "format", P.BUNDLE_MALFORMED, reason=f"format ≠ {FORMAT}"))
        return report
    for key, kind in (
        ("document", Mapping),
        ("chains", Mapping),
        ("heads", Mapping),
        ("checkpoint", Mapping),
        ("public_key", str),
    ):
        if not isinstance(bundle.get(key), kind):
            add(problem("bundle.malformed", key, P.BUNDLE_MALFORMED, reason=f"{key} missing"))
    try:
        report.lot = validate_id(bundle.get("lot"), "lot")
    except Invalid:
        add(problem("bundle.malformed", "lot", P.BUNDLE_MALFORMED, reason="lot"))
    if report.problems:
        return report
    if report.lot not in bundle["chains"]:
        add(
            problem(
                "bundle.malformed", "chains", P.BUNDLE_MALFORMED, reason=f"no chain of {report.lot}"
            )
        )

    # 1–2. key and checkpoint
    key = None
    try:
        key = cp.load_public_key(bundle["public_key"])
        report.key_id = cp.key_id(key)
    except Invalid:
        add(problem("key.unreadable", "public_key", P.KEY_UNREADABLE))
    if trusted_key is not None and key is not None:
        trusted_id = cp.key_id(cp.load_public_key(trusted_key, "trusted_key"))
        if trusted_id != report.key_id:
            add(
                problem(
                    "key.untrusted",
                    "public_key",
                    P.KEY_UNTRUSTED,
                    found=report.key_id,
                    trusted=trusted_id,
                )
            )
    checkpoint = _signed_body(
        bundle["checkpoint"],
        key,
        "checkpoint",
        report,
        "checkpoint.signature",
        P.CHECKPOINT_SIGNATURE,
    )
    if checkpoint is not None:
        report.tree_size, report.checkpoint_time = checkpoint.tree_size, checkpoint.time

    # 3. schema and JSON-LD
    document = bundle["document"]
    if document.get("@context") != CONTEXT:  # events are hashed as read under this context
        add(problem("document.context", "document.@context", P.DOCUMENT_CONTEXT))
    errors = quick_schema_errors(document)
    errors += schema_errors(document, extra, shipped=False) if extra else []
    for name, path, reason in errors:
        add(
            problem(
                "schema.invalid",
                f"document.{path}",
                P.SCHEMA_INVALID,
                schema=name,
                path=path,
                reason=reason,
            )
        )
    if expand and not errors:
        try:
            expand_jsonld(document)
        except Invalid as error:
            add(problem("jsonld.invalid", "document.@context", P.JSONLD_INVALID, **error.params))
    body = document.get("epcisBody")
    event_list = body.get("eventList") if isinstance(body, Mapping) else None
    events = (
        [e for e in event_list if isinstance(e, Mapping)] if isinstance(event_list, list) else []
    )
    report.events = len(events)

    # 4. events by content hash
    by_hash: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for position, event in enumerate(events):
        where = f"document.epcisBody.eventList[{position}]"
        try:
            digest = event_hash(event)
        except Invalid:
            add(
                problem(
                    "schema.invalid",
                    where,
                    P.SCHEMA_INVALID,
                    schema="RFC 8785",
                    path=where,
                    reason="not canonicalisable",
                )
            )
            continue
        if digest in by_hash:
            add(problem("event.duplicate", where, P.EVENT_DUPLICATE))
        by_hash[digest] = (position, event)
        identifier = event.get("eventID")
        if (
            isinstance(identifier, str)
            and identifier.startswith(EVENT_ID_PREFIX)
            and identifier.endswith(EVENT_ID_SUFFIX)
        ) and identifier != event_id(event):
            add(problem("event.id", f"{where}.eventID", P.EVENT_ID))
    referenced: set[str] = set()

    # 5–6. chains and inclusion
    chains: dict[str, list[ChainEntry]] = {}
    seen_indexes: set[int] = set()
    for lot, raw_entries in bundle["chains"].items():
        where = f"chains.{lot}"
        if not isinstance(raw_entries, list):
            add(problem("bundle.malformed", where, P.BUNDLE_MALFORMED, reason="not a list"))
            continue
        plain = [
            {k: e.get(k) for k in CHAIN_FIELDS} if isinstance(e, Mapping) else e
            for e in raw_entries
        ]
        report.problems.extend(verify_chain(str(lot), plain, where))
        parsed: list[ChainEntry] = []
        previous_index = -1
        for position, raw in enumerate(raw_entries):
            place = f"{where}[{position}]"
            try:
                entry = ChainEntry.from_json(plain[position], place)
            except Invalid:
                continue  # reported by verify_chain
            parsed.append(entry)
            referenced.add(entry.event_hash)
            if entry.event_hash not in by_hash:
                add(problem("event.missing", place, P.EVENT_MISSING, seq=entry.seq))
            elif entry.lot not in _lot_ids(by_hash[entry.event_hash][1]):
                add(
                    problem(
                        "event.wrong_lot", place, P.EVENT_WRONG_LOT, seq=entry.seq, lot=entry.lot
                    )
                )
            index, proof = raw.get("log_index"), _hexes(raw.get("proof"))
            if (
                not isinstance(index, int)
                or isinstance(index, bool)
                or proof is None
                or checkpoint is None
                or index in seen_indexes
                or not verify_inclusion(
                    index,
                    checkpoint.tree_size,
                    leaf_hash(entry.leaf()),
                    proof,
                    bytes.fromhex(checkpoint.log_root),
                )
            ):
                add(problem("log.inclusion", place, P.LOG_INCLUSION, seq=entry.seq))
            elif index <= previous_index:
                add(problem("log.order", place, P.LOG_ORDER, seq=entry.seq))
            if isinstance(index, int):
                seen_indexes.add(index)
                previous_index = max(previous_index, index)
        chains[str(lot)] = parsed
    for digest, (position, _event) in by_hash.items():
        if digest not in referenced:
            add(
                problem(
                    "event.unchained",
                    f"document.epcisBody.eventList[{position}]",
                    P.EVENT_UNCHAINED,
                )
            )

    # 7. heads
    for lot, entries in chains.items():
        where = f"heads.{lot}"
        head = bundle["heads"].get(lot)
        proof = _hexes(head.get("proof")) if isinstance(head, Mapping) else None
        if not isinstance(head, Mapping) or proof is None or checkpoint is None:
            add(problem("heads.missing", where, P.HEADS_MISSING, lot=lot))
            continue
        seq, digest, index, count = (
            head.get("seq"),
            head.get("head"),
            head.get("index"),
            head.get("count"),
        )
        if not all(
            isinstance(v, int) and not isinstance(v, bool) for v in (seq, index, count)
        ) or not isinstance(digest, str):
            add(problem("heads.missing", where, P.HEADS_MISSING, lot=lot))
            continue
        if count != checkpoint.heads_count or not verify_head(
            lot,
            seq,
            digest,
            HeadProof(index, count, tuple(proof)),
            bytes.fromhex(checkpoint.heads_root),
        ):
            add(problem("heads.proof", where, P.HEADS_PROOF, lot=lot))
        last = entries[-1] if entries else None
        if last is None or (last.seq, last.hash) != (seq, digest):
            add(
                problem(
                    "heads.truncated",
                    where,
                    P.HEADS_TRUNCATED,
                    found=last.seq if last else 0,
                    committed=seq,
                )
            )

    # 8. lineage across chains
    _check_lineage(events, by_hash, chains, tolerance, report)

    # 9. older checkpoint
    _check_older(bundle.get("older"), kept, key, checkpoint, report)
    return report


def _check_lineage(
    events: Sequence[Mapping[str, Any]],
    by_hash: Mapping[str, tuple[int, Mapping[str, Any]]],
    chains: Mapping[str, Sequence[ChainEntry]],
    tolerance: Tolerance,
    report: Report,
) -> None:
    hash_of = {position: digest for digest, (position, _e) in by_hash.items()}
    for position, event in enumerate(events):
        if event.get("type") != "TransformationEvent" or position not in hash_of:
            continue
        where = f"document.epcisBody.eventList[{position}]"
        heads = (event.get("ilmd") or {}).get("hl:inputHeads") or []
        for head in heads if isinstance(heads, list) else []:
            try:
                lot = parse_uri(head.get("hl:lot")).lot_id
            except (MalformedIdentifier, AttributeError):
                continue
            chain = chains.get(lot or "")
            if not chain:
                continue  # that input's chain is not in this bundle
            seq = head.get("hl:seq")
            at = {e.seq: e for e in chain}
            if not isinstance(seq, int) or seq not in at or at[seq].hash != head.get("hl:head"):
                report.problems.append(
                    problem("lineage.head", where, P.LINEAGE_HEAD, lot=lot, seq=seq)
                )
            elif seq + 1 not in at or at[seq + 1].event_hash != hash_of[position]:
                report.problems.append(problem("lineage.link", where, P.LINEAGE_LINK, lot=lot))
        sides = []
        for key in ("inputQuantityList", "outputQuantityList"):
            items = event.get(key) or []
            sides.append(
                sum(
                    round(i.get("quantity", 0) * 1000)
                    for i in items
                    if isinstance(i, Mapping) and isinstance(i.get("quantity"), int | float)
                )
            )
        allowed = tolerance.allowance_g(sides[0])
        if sides[1] > sides[0] + allowed:
            report.problems.append(
                problem(
                    "lineage.mass",
                    where,
                    P.LINEAGE_MASS,
                    out=sides[1],
                    in_=sides[0],
                    tol=int(allowed),
                )
            )


def _check_older(
    older: object,
    kept: Mapping[str, Any] | None,
    key: Any,
    checkpoint: cp.Checkpoint | None,
    report: Report,
) -> None:
    if older is None and kept is None:
        return
    add = report.problems.append
    if kept is not None:
        kept_body = kept.get("body") if isinstance(kept, Mapping) else None
        carried = older.get("checkpoint") if isinstance(older, Mapping) else None
        if kept_body is None or carried != kept:  # exactly the user's copy, signature and all
            size = kept_body.get("tree_size") if isinstance(kept_body, Mapping) else "?"
            add(problem("older.not_kept", "older", P.OLDER_NOT_KEPT, size=size))
            return
    if not isinstance(older, Mapping) or checkpoint is None:
        add(problem("bundle.malformed", "older", P.BUNDLE_MALFORMED, reason="older"))
        return
    body = _signed_body(
        older.get("checkpoint"),
        key,
        "older.checkpoint",
        report,
        "older.signature",
        P.OLDER_SIGNATURE,
    )
    proof = _hexes(older.get("consistency"))
    if body is None:
        return
    if proof is None or not verify_consistency(
        body.tree_size,
        checkpoint.tree_size,
        bytes.fromhex(body.log_root),
        bytes.fromhex(checkpoint.log_root),
        proof,
    ):
        add(
            problem(
                "older.consistency",
                "older",
                P.OLDER_CONSISTENCY,
                time=body.time,
                size=body.tree_size,
            )
        )
