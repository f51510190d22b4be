"""EPCIS 2.0 capture and query over the stored events.

**Capture** (``capture``): an ``EPCISDocument`` is checked whole — valid under the shipped
2.0.1 schema and every schema named in ``PASSPORT_EXTRA_SCHEMAS`` (e.g. GS1's own file), and
expandable as JSON-LD offline — then each event is recorded like the platform's own, all in one
transaction: the whole document or nothing (the EPCIS ``rollback`` capture error behaviour).
An event naming a lot of ours (a URI of our host) joins that lot's chain. An event naming no
lot of ours is kept too, under a *capture chain* per EPC it names: the chain's ID is
``EPC-`` + the first 32 hex digits of the EPC's SHA-256 (Code39-safe, so the same chains,
proofs, checkpoints and bundles cover it). An event that names no EPC at all is refused.
The document's own ``@context`` is kept with its events, so a query hands back extension
prefixes (``example:``) with the meaning the sender gave them.

**Query** (``query``): the standard simple-event-query filters, each value list separated by
``|`` as in the EPCIS 2.0 REST binding, results in record order, paginated by ``perPage`` and an
opaque ``nextPageToken``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.errors import Invalid, NotFound
from core.time import utcnow
from passport.epcis import CONTEXT, event_time
from passport.epcs import capture_chain, epcs_of
from passport.models import PassportEvent, PassportEventEpc
from passport.services import batch, store
from passport.validate import check_document, load_json, validator

MAX_EVENTS = 1000
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000


@cache
def _extra(paths: tuple[str, ...]) -> tuple[tuple[str, jsonschema.Draft7Validator], ...]:
    return tuple((Path(p).name, validator(load_json(Path(p)))) for p in paths)


def extra_schemas() -> tuple[tuple[str, jsonschema.Draft7Validator], ...]:
    """Further schemas every captured document must pass (``PASSPORT_EXTRA_SCHEMAS``)."""
    configured = current_app.config.get("PASSPORT_EXTRA_SCHEMAS") or ()
    if isinstance(configured, str):
        configured = [p for p in configured.split(":") if p]
    return _extra(tuple(str(p) for p in configured))


def _own_context(context: object) -> str | None:
    """The document's context as kept with its events; None when it is exactly ours."""
    if context == CONTEXT:
        return None
    return json.dumps(context, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Capture:
    """A finished capture: its ID, how many events, and the chains they joined."""

    capture_id: str
    events: int
    chains: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "captureID": self.capture_id,
            "running": False,
            "success": True,
            "captureErrorBehaviour": "rollback",
            "eventCount": self.events,
            "chains": list(self.chains),
            "errors": [],
        }


def capture(
    document: object, *, organization_id: int | None, at: datetime | None = None
) -> Capture:
    """Record every event of an EPCISDocument in the caller's transaction (all or nothing)."""
    if not isinstance(document, Mapping) or document.get("type") != "EPCISDocument":
        raise Invalid("需要 EPCISDocument", {"type": "EPCISDocument expected"})
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if not isinstance(events, list) or not events:
        raise Invalid("文档没有事件", {"epcisBody.eventList": "required"})
    if len(events) > MAX_EVENTS:
        raise Invalid(
            "一次最多提交 %(max)s 个事件", {"epcisBody.eventList": "too many"}, max=MAX_EVENTS
        )
    check_document(document, extra_schemas())
    capture_id = uuid.uuid4().hex
    context = _own_context(document.get("@context"))
    at = at or utcnow()
    chains: list[str] = []
    pending = []
    for position, event in enumerate(events):
        try:
            lots = store.our_lots(event)
            if not lots:
                lots = [capture_chain(epc) for epc in epcs_of(event)]
                if not lots:
                    raise Invalid("事件没有任何 EPC", {"event": "names no EPC"})
                for lot in lots:
                    store.register_lot(lot, at=at, captured=True)
            pending.append(
                store.prepare(
                    event,
                    lots=lots,
                    capture_id=capture_id,
                    captured_by=organization_id,
                    context=context,
                    at=at,
                )
            )
        except Invalid as error:
            fields = {f"epcisBody.eventList[{position}].{k}": v for k, v in error.fields.items()}
            raise type(error)(error.message, fields, **error.params) from error
        chains.extend(lot for lot in lots if lot not in chains)
    batch.append(pending, at=at)
    return Capture(capture_id, len(events), tuple(chains))


def capture_status(capture_id: str) -> Capture:
    """A finished capture by ID (failed captures leave nothing: they are answered at once)."""
    rows = db.session.scalars(
        sa.select(PassportEvent.id).where(PassportEvent.capture_id == capture_id)
    ).all()
    if not rows:
        raise NotFound("没有这个采集任务", {"captureID": "unknown"})
    return Capture(capture_id, len(rows), ())


# --- query ------------------------------------------------------------------------------------

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
EPC_FILTERS = {
    "MATCH_epc": ("epc",),
    "MATCH_anyEPC": ("epc", "io", "parent"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("io",),
    "MATCH_outputEPC": ("io",),
    "MATCH_epcClass": ("class",),
    "MATCH_anyEPCClass": ("class", "ioclass"),
}
COLUMNS = {
    "EQ_bizStep": PassportEvent.biz_step,
    "EQ_disposition": PassportEvent.disposition,
    "EQ_bizLocation": PassportEvent.biz_location,
    "EQ_readPoint": PassportEvent.read_point,
}
TIMES = {
    "GE_eventTime": (PassportEvent.event_time, ">="),
    "LT_eventTime": (PassportEvent.event_time, "<"),
    "GE_recordTime": (PassportEvent.record_time, ">="),
    "LT_recordTime": (PassportEvent.record_time, "<"),
}
KNOWN = {"eventType", "perPage", "nextPageToken", *EPC_FILTERS, *COLUMNS, *TIMES}


def _values(raw: str, name: str) -> list[str]:
    values = [v for v in raw.split("|") if v]
    if not values or any(len(v) > 300 for v in values):
        raise Invalid("查询参数无效：%(name)s", {name: "invalid"}, name=name)
    return values


def _token(page: int) -> str:
    return base64.urlsafe_b64encode(f"hl1:{page}".encode()).decode().rstrip("=")


def _after(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, value = text.split(":")
        if prefix != "hl1" or not value.isdigit():
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise Invalid("nextPageToken 无效", {"nextPageToken": "invalid"}) from error


def query(params: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[str], str | None]:
    """(events, the contexts they were captured with, the next page's token or None)."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise Invalid("不支持的查询参数：%(name)s", {unknown[0]: "unknown"}, name=unknown[0])
    q = sa.select(PassportEvent.id, PassportEvent.canonical, PassportEvent.context)
    if "eventType" in params:
        types = _values(params["eventType"], "eventType")
        if set(types) - set(EVENT_TYPES):
            raise Invalid("未知的事件类型", {"eventType": "unknown type"})
        q = q.where(PassportEvent.type.in_(types))
    for name, (column, op) in TIMES.items():
        if name in params:
            moment = store.parse_time(params[name], name)
            q = q.where(column >= moment if op == ">=" else column < moment)
    for name, column in COLUMNS.items():
        if name in params:
            words = [
                store.cbv_word(v) if name[3:] in ("bizStep", "disposition") else v
                for v in _values(params[name], name)
            ]
            q = q.where(column.in_(words))
    for name, roles in EPC_FILTERS.items():
        if name in params:
            conditions = []
            for value in _values(params[name], name):
                match = (
                    PassportEventEpc.epc.like(value[:-1].replace("%", r"\%") + "%", escape="\\")
                    if value.endswith("*")
                    else PassportEventEpc.epc == value
                )
                conditions.append(match)
            q = q.where(
                sa.exists().where(
                    PassportEventEpc.event_pk == PassportEvent.id,
                    PassportEventEpc.role.in_(roles),
                    sa.or_(*conditions),
                )
            )
    per_page = DEFAULT_PER_PAGE
    if "perPage" in params:
        raw = params["perPage"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PER_PAGE:
            raise Invalid("perPage 应为 1–%(max)s", {"perPage": "out of range"}, max=MAX_PER_PAGE)
        per_page = int(raw)
    if "nextPageToken" in params:
        q = q.where(PassportEvent.id > _after(params["nextPageToken"]))
    rows = db.session.execute(q.order_by(PassportEvent.id).limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    events = [json.loads(text) for _pk, text, _ctx in rows]
    contexts = list(dict.fromkeys(ctx for _pk, _text, ctx in rows if ctx))
    return events, contexts, _token(rows[-1][0]) if more and rows else None


def query_document(events: list[dict[str, Any]], contexts: list[str]) -> dict[str, Any]:
    """The EPCISQueryDocument of a page of results, with every sender's context merged in."""
    context: list[Any] = copy.deepcopy(CONTEXT)
    for text in contexts:
        theirs = json.loads(text)
        for item in theirs if isinstance(theirs, list) else [theirs]:
            if item not in context:
                context.append(item)
    return {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": event_time(utcnow()),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": events},
            }
        },
    }
