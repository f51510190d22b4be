"""Recording events: what ``passport.ledger`` does in memory, done with tables.

``record(event)`` appends, in the caller's transaction (services never commit, so the event is
written together with the domain change that caused it, or not at all):

1. the event, checked first — schema-valid EPCIS (shipped 2.0.1 schema, formats asserted), an
   ``eventID``, not a replay, every lot it names known here (a transformation may bring its
   outputs into being), GS1 Digital Link keys of our host with valid check digits, and a
   transformation whose outputs do not outweigh its inputs beyond the tolerance. Each refusal
   names its reason and field, and is raised before anything is written;
2. its canonical JSON and hash, and every EPC it names (for the query interface);
3. for each lot (inputs before outputs) the next chain entry from the lot's head, its leaf in
   the global log, and the new head.

Corrections (``correct``) are an error declaration (the original event again, with
``errorDeclaration``) plus the corrective event: two new events, nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from core.db import db
from core.errors import Conflict, Invalid, NotFound
from core.time import utcnow
from passport import epcis, ids
from passport.canonical import canonical, sha256_hex
from passport.chain import ChainEntry
from passport.epcs import epcs_of
from passport.lineage import Tolerance, check_mass_balance
from passport.models import (
    PassportChainEntry,
    PassportErrorDeclaration,
    PassportEvent,
    PassportLot,
)
from passport.services import batch, config
from passport.services.batch import Pending, Recorded
from passport.validate import as_document, quick_schema_errors

EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")


def register_lot(
    lot: str,
    *,
    gtin: str | None = None,
    sscc: str | None = None,
    at: datetime | None = None,
    captured: bool = False,
) -> PassportLot:
    """Make a lot or package known to the passport (idempotent); GS1 check digits checked."""
    if not captured:
        ids.validate_id(lot, "lot")
    gtin = ids.validate_gtin(gtin) if gtin else None
    sscc = ids.validate_sscc(sscc) if sscc else None
    row = db.session.get(PassportLot, lot)
    if row is None:
        row = PassportLot(
            lot=lot, seq=0, gtin=gtin, sscc=sscc, captured=captured, created_at=at or utcnow()
        )
        db.session.add(row)
        db.session.flush()
    return row


def our_lots(event: Mapping[str, Any]) -> list[str]:
    """The lots of ours an event names (inputs before outputs); a bad key of our host refused."""
    host = config.host()
    found: list[str] = []
    for position, uri in enumerate(epcs_of(event)):
        if urlsplit(uri).netloc != host:
            continue
        try:
            scanned = ids.parse_uri(uri, host=host)
        except ids.MalformedIdentifier as error:
            raise Invalid(
                "事件中的标识无效：%(reason)s", {f"epc[{position}]": uri}, reason=error.message
            ) from error
        lot = scanned.lot_id or (sscc_lot(scanned.sscc) if scanned.sscc else None)
        if lot and lot not in found:
            found.append(lot)
    return found


def sscc_lot(sscc: str | None) -> str:
    """The lot registered under an SSCC; NotFound when none is."""
    lot = db.session.scalar(sa.select(PassportLot.lot).where(PassportLot.sscc == sscc))
    if lot is None:
        raise NotFound("没有登记这个 SSCC 的批次", {"sscc": "unknown"})
    return lot


def _grams(element: Mapping[str, Any], field: str) -> int | None:
    """The mass of a quantity element in grams, when it is given in kilograms."""
    if element.get("uom") != "KGM" or "quantity" not in element:
        return None
    try:
        return int(Decimal(str(element["quantity"])) * 1000)
    except InvalidOperation as error:
        raise Invalid("数量无效", {field: "not a number"}) from error


def check_balance(event: Mapping[str, Any], tolerance: Tolerance | None = None) -> None:
    """Refuse a transformation whose known output masses outweigh its inputs'."""
    if event.get("type") != "TransformationEvent":
        return
    masses = {}
    for key in ("inputQuantityList", "outputQuantityList"):
        values = [_grams(q, key) for q in event.get(key) or [] if isinstance(q, Mapping)]
        masses[key] = [v for v in values if v is not None]
    if masses["inputQuantityList"] and masses["outputQuantityList"]:
        check_mass_balance(masses["inputQuantityList"], masses["outputQuantityList"], tolerance)


def parse_time(value: object, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise Invalid("时间格式无效", {field: "RFC 3339"}) from error
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


CBV_PREFIXES = (
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
)


def cbv_word(value: object) -> str | None:
    """A CBV value in its bare 2.0 JSON form (``shipping``), whichever way it was written."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if not value:
        return None
    text = str(value)
    for prefix in CBV_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text[:300]


def check_event(event: object) -> Mapping[str, Any]:
    """An event that passes the schema and carries an ``eventID``; ``Invalid`` otherwise."""
    if not isinstance(event, Mapping):
        raise Invalid("事件必须是 JSON 对象", {"event": "not an object"})
    errors = quick_schema_errors(as_document([event]))
    if errors:
        name, path, reason = errors[0]
        raise Invalid(
            "EPCIS 数据不符合 JSON Schema（%(schema)s）：%(path)s：%(reason)s",
            {path.replace("epcisBody.eventList[0]", "event"): reason},
            schema=name,
            path=path,
            reason=reason,
        )
    if not isinstance(event.get("eventID"), str) or not event["eventID"]:
        raise Invalid("事件缺少 eventID", {"event.eventID": "required"})
    return event


def prepare(
    event: Mapping[str, Any],
    *,
    lots: Sequence[str] | None = None,
    capture_id: str | None = None,
    captured_by: int | None = None,
    context: str | None = None,
    tolerance: Tolerance | None = None,
    new_lots: Sequence[str] = (),
    at: datetime,
) -> Pending:
    """Check `event` (everything but replays and unknown lots, which ``batch`` checks).

    `new_lots` may come into being with this event (a package's first weighing): registering
    them in the append itself saves the two round trips of ``register_lot`` on the hot path.
    """
    check_event(event)
    for lot in new_lots:
        ids.validate_id(lot, "lot")
    declaration = "errorDeclaration" in event
    names = list(lots) if lots is not None else our_lots(event)
    if not names:
        raise Invalid("事件没有指向本平台的任何批次", {"event": "names no lot"})
    check_balance(event, tolerance)
    text = canonical(event).decode("utf-8")
    digest = sha256_hex(text.encode("utf-8"))
    original = _declared(event, foreign=capture_id is not None) if declaration else None
    row = {
        # a declaration repeats the declared event's ID: it is keyed by its content
        "replay_key": "decl:" + digest if declaration else event["eventID"],
        "event_id": event["eventID"],
        "hash": digest,
        "canonical": text,
        "type": str(event.get("type")),
        "event_time": parse_time(event.get("eventTime"), "event.eventTime"),
        "record_time": at,
        "biz_step": cbv_word(event.get("bizStep")),
        "disposition": cbv_word(event.get("disposition")),
        "read_point": cbv_word(event.get("readPoint")),
        "biz_location": cbv_word(event.get("bizLocation")),
        "declaration": declaration,
        "capture_id": capture_id,
        "captured_by": captured_by,
        "context": context,
    }
    declared_at = None
    if original is not None:
        info = event["errorDeclaration"]
        declared_at = parse_time(info.get("declarationTime"), "errorDeclaration")
    return Pending(
        event,
        names,
        row,
        _outputs(event) | set(new_lots),
        original.id if original else None,
        declared_at,
    )


def record(event: Mapping[str, Any], *, at: datetime | None = None, **options: Any) -> Recorded:
    """Append `event` to every chain it names (or ``lots=``), in the caller's transaction.

    Options are ``prepare``'s: ``lots``, ``capture_id``, ``captured_by``, ``context``,
    ``tolerance``, ``new_lots``.
    """
    now = at or utcnow()
    return batch.append([prepare(event, at=now, **options)], at=now)[0]


def record_many(
    events: Sequence[Mapping[str, Any]], *, at: datetime | None = None, **options: Any
) -> list[Recorded]:
    """Append many events in order with a few statements in all (capture, seeding, benchmarks)."""
    now = at or utcnow()
    return batch.append([prepare(event, at=now, **options) for event in events], at=now)


def _outputs(event: Mapping[str, Any]) -> set[str]:
    if event.get("type") != "TransformationEvent":
        return set()
    found = set()
    for element in event.get("outputQuantityList") or []:
        try:
            lot = ids.parse_uri(element.get("epcClass"), host=config.host()).lot_id
        except ids.MalformedIdentifier:
            continue
        if lot:
            found.add(lot)
    return found


def _declared(event: Mapping[str, Any], *, foreign: bool = False) -> PassportEvent | None:
    """The stored event an error declaration declares (same ``eventID``, same content).

    A captured declaration (`foreign`) may declare an event another repository holds: it is
    stored as it came, without a declaration row.
    """
    original = db.session.scalar(
        sa.select(PassportEvent).where(PassportEvent.replay_key == event["eventID"])
    )
    if original is None:
        if foreign:
            return None
        raise NotFound("被声明有误的事件不存在", {"eventID": "unknown"})
    declared = PassportErrorDeclaration.event_pk == original.id
    if db.session.scalar(sa.select(PassportErrorDeclaration.id).where(declared)):
        raise Conflict("该事件已被声明有误", {"eventID": "already declared"})
    stripped = {k: v for k, v in event.items() if k != "errorDeclaration"}
    if canonical(stripped).decode("utf-8") != original.canonical:
        raise Invalid("错误声明必须原样重复被声明的事件", {"errorDeclaration": "event differs"})
    return original


def correct(
    event_id: str, corrective: Mapping[str, Any], *, reason: str = "incorrect_data", at: datetime
) -> tuple[Recorded, Recorded]:
    """Correct a stored event: its error declaration, then the corrective event (both appended)."""
    original = db.session.scalar(
        sa.select(PassportEvent).where(PassportEvent.replay_key == event_id)
    )
    if original is None:
        raise NotFound("事件不存在", {"eventID": "unknown"})
    stored = json.loads(original.canonical)
    declared, fixed = epcis.correction(stored, corrective, at=at, reason=reason)
    return record(declared, at=at), record(fixed, at=at)


# --- reading ----------------------------------------------------------------------------------


def get_lot(lot: str) -> PassportLot:
    """A known lot; NotFound otherwise."""
    row = db.session.get(PassportLot, lot)
    if row is None:
        raise NotFound("没有这个批次的护照", {"lot": "unknown"})
    return row


def chain(lot: str, upto_size: int | None = None) -> list[tuple[ChainEntry, int, int]]:
    """A lot's chain entries in order, each with its leaf index and event row id."""
    query = sa.select(PassportChainEntry).where(PassportChainEntry.lot == lot)
    if upto_size is not None:
        query = query.where(PassportChainEntry.log_index < upto_size)
    rows = db.session.scalars(query.order_by(PassportChainEntry.seq))
    return [
        (ChainEntry(r.lot, r.seq, r.event_hash, r.prev, r.hash), r.log_index, r.event_pk)
        for r in rows
    ]


def events_by_pk(pks: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Stored events by row id, parsed from their canonical JSON."""
    if not pks:
        return {}
    rows = db.session.execute(
        sa.select(PassportEvent.id, PassportEvent.canonical).where(PassportEvent.id.in_(pks))
    )
    return {pk: json.loads(text) for pk, text in rows}


def lot_events(lot: str) -> list[dict[str, Any]]:
    """A lot's events in chain order."""
    entries = chain(lot)
    found = events_by_pk([pk for _e, _i, pk in entries])
    return [found[pk] for _e, _i, pk in entries]
