"""Builders of the EPCIS 2.0 JSON-LD events of a lot's life, and the document that carries them.

**Identity.** A lot (or package) is identified at *class level*, as GS1 identifies a batch: its
URI (``https://<host>/lot/<ID>``, or the Digital Link ``/01/<GTIN>/10/<ID>``) is the
``epcClass`` of every ``quantityList`` entry, with the mass in kilograms (``uom: "KGM"``)
where it is known. Masses come in as integer grams and leave as kilograms with at most three
decimals, which RFC 8785 serialises exactly.

**Vocabulary.** CBV 2.0 bare words where CBV has the step or disposition; otherwise URIs in
our namespace ``https://huanlian.example/voc/`` (prefix ``hl:``; the reserved ``.example``
name is a stable identifier that no one else can own, not an address to fetch). Ours are
``hl`` bizSteps ``sorting`` (分拣), ``baling`` (打包) and ``trading`` (成交), dispositions
``recycled``, ``reused`` and ``energy_recovered``, and extension fields (``hl:category``,
``hl:inputHeads`` …) listed in ``passport/data/README.md``.

| step | event | bizStep | disposition |
|---|---|---|---|
| listing | ObjectEvent ADD (+ ``ilmd``) | commissioning | active |
| collection | ObjectEvent OBSERVE | collecting | in_transit |
| weighing | ObjectEvent OBSERVE, quantityList + sensorElementList (KGM) | sensor_reporting | |
| sorting, baling | TransformationEvent, ``ilmd.hl:inputHeads`` | hl sorting, baling | active |
| storing | ObjectEvent OBSERVE | storing | available |
| sampling | ObjectEvent OBSERVE | sampling | active |
| inspection | ObjectEvent OBSERVE (+ measurements) | inspecting | conformant / non_conformant |
| trade | TransactionEvent ADD, ``bizTransactionList`` | hl trading | reserved |
| shipping | ObjectEvent OBSERVE | shipping | in_transit |
| receiving | ObjectEvent OBSERVE | receiving | in_progress |
| end use | ObjectEvent DELETE | decommissioning | hl recycled, reused, energy_recovered; disposed |

**Public by construction.** Events carry no prices and no personal data; parties are opaque
URIs (``https://<host>/org/<id>``). A trade's terms are bound by ``hl:termsCommitment``, the
SHA-256 of a random salt and the canonical terms (``commitment``): the public can verify the
chain, and members of the trade, who hold the salt, can prove the terms.

**Event IDs** are ``ni:///sha-256;<hex>?ver=hl-jcs-1`` (RFC 6920 named information): the
SHA-256 of the RFC 8785 JSON of the event without ``eventID``, ``recordTime`` and
``errorDeclaration``. This is *not* the CBV 2.0 event hash (the ``?ver=CBV2.0`` algorithm),
so it does not claim to be: the reference implementation (PyPI ``epcis-event-hash-generator``)
installs a global JSON-LD document loader that falls back to the internet, which this offline
package may not do; JCS is simpler to reproduce and is the hash the chain uses anyway.

**Corrections** never change a stored event: ``correction`` returns an error declaration (the
original event again, with ``errorDeclaration`` naming the corrective events) and the
corrective event; both are appended to the chain as new entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from core.errors import Invalid
from passport.lineage import Tolerance, check_mass_balance
from passport.vocab import (
    BIZSTEP_BALING,
    BIZSTEP_SORTING,
    BIZSTEP_TRADING,
    CONTEXT,
    END_USE_DISPOSITION,
    EPCIS_CONTEXT,
    EVENT_ID_PREFIX,
    EVENT_ID_SUFFIX,
    NAMESPACE,
    NOT_HASHED_IN_ID,
    Json,
    Measurement,
    Portion,
    classes,
    commitment,
    correction,
    document,
    event_id,
    event_time,
    kilograms,
    quantity,
    zone_offset,
)

__all__ = [
    "BIZSTEP_BALING",
    "BIZSTEP_SORTING",
    "BIZSTEP_TRADING",
    "CONTEXT",
    "END_USE_DISPOSITION",
    "EPCIS_CONTEXT",
    "EVENT_ID_PREFIX",
    "EVENT_ID_SUFFIX",
    "NAMESPACE",
    "NOT_HASHED_IN_ID",
    "Json",
    "Measurement",
    "Portion",
    "classes",
    "collection",
    "commitment",
    "correction",
    "document",
    "end_use",
    "event_id",
    "event_time",
    "inspection",
    "kilograms",
    "listing",
    "quantity",
    "receiving",
    "sampling",
    "shipping",
    "storing",
    "trade",
    "transformation",
    "weighing",
    "zone_offset",
]


def _event(
    kind: str,
    at: datetime,
    tz: str,
    fields: Mapping[str, Any],
    *,
    read_point: str | None = None,
    biz_location: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Json:
    """Assemble an event in the schema's field order, drop empty values, and give it its ID."""
    event: Json = {
        "type": kind,
        "eventTime": event_time(at),
        "eventTimeZoneOffset": zone_offset(at, tz),
    }
    event.update({k: v for k, v in fields.items() if v not in (None, [], {})})
    if read_point:
        event["readPoint"] = {"id": read_point}
    if biz_location:
        event["bizLocation"] = {"id": biz_location}
    for key, value in (extensions or {}).items():
        if not key.startswith("hl:"):
            raise ValueError(f"extension {key!r} must be in the hl: namespace")
        if value is not None:
            event[key] = value
    event["eventID"] = event_id(event)
    return event


def _parties(role: str, pairs: Sequence[tuple[str, str | None]]) -> list[Json]:
    """A ``sourceList`` / ``destinationList`` from (CBV type, party or location URI) pairs."""
    return [{"type": t, role: uri} for t, uri in pairs if uri]


def listing(
    lot: str,
    *,
    at: datetime,
    producer: str,
    category: str,
    mass_g: int | None = None,
    grade: str | None = None,
    site: str | None = None,
    tz: str = "Asia/Shanghai",
    attributes: Mapping[str, Any] | None = None,
) -> Json:
    """A lot comes into being (ADD, commissioning): who made it and what it is, in ``ilmd``."""
    ilmd: Json = {"hl:producer": producer, "hl:category": category}
    if grade:
        ilmd["hl:grade"] = grade
    for key, value in (attributes or {}).items():
        ilmd[key if key.startswith("hl:") else f"hl:{key}"] = value
    fields = {
        "action": "ADD",
        "quantityList": [quantity(lot, mass_g)],
        "bizStep": "commissioning",
        "disposition": "active",
        "ilmd": ilmd,
    }
    return _event("ObjectEvent", at, tz, fields, read_point=site, biz_location=site)


def _observe(
    lot: str,
    at: datetime,
    tz: str,
    biz_step: str,
    disposition: str | None,
    mass_g: int | None,
    *,
    location: str | None = None,
    sources: Sequence[tuple[str, str | None]] = (),
    destinations: Sequence[tuple[str, str | None]] = (),
    transactions: Sequence[tuple[str, str]] = (),
    sensors: list[Json] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Json:
    fields = {
        "action": "OBSERVE",
        "quantityList": [quantity(lot, mass_g)],
        "bizStep": biz_step,
        "disposition": disposition,
        "bizTransactionList": [{"type": t, "bizTransaction": u} for t, u in transactions],
        "sourceList": _parties("source", sources),
        "destinationList": _parties("destination", destinations),
        "sensorElementList": sensors,
    }
    return _event(
        "ObjectEvent",
        at,
        tz,
        fields,
        read_point=location,
        biz_location=location,
        extensions=extensions,
    )


def collection(
    lot: str,
    *,
    at: datetime,
    producer: str,
    collector: str,
    mass_g: int | None = None,
    location: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """The collector picks the lot up at the producer (collecting, in transit)."""
    return _observe(
        lot,
        at,
        tz,
        "collecting",
        "in_transit",
        mass_g,
        location=location,
        sources=[("possessing_party", producer)],
        destinations=[("possessing_party", collector)],
    )


def weighing(
    lot: str,
    *,
    at: datetime,
    net_g: int,
    scale: str,
    gross_g: int | None = None,
    tare_g: int | None = None,
    location: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """A weighing: the net mass in ``quantityList`` and the scale's reading as sensor data."""
    reports: list[Json] = [{"type": "Mass", "value": kilograms(net_g, "net_g"), "uom": "KGM"}]
    for role, grams in (("gross", gross_g), ("tare", tare_g)):
        if grams is not None:
            reports.append(
                {
                    "type": "Mass",
                    "value": kilograms(grams, f"{role}_g"),
                    "uom": "KGM",
                    "hl:role": role,
                }
            )
    sensor = {
        "sensorMetadata": {"time": event_time(at), "deviceID": scale},
        "sensorReport": reports,
    }
    return _observe(
        lot, at, tz, "sensor_reporting", None, net_g, location=location, sensors=[sensor]
    )


def transformation(
    inputs: Sequence[Portion],
    outputs: Sequence[Portion],
    *,
    at: datetime,
    kind: Literal["sorting", "baling"],
    input_heads: Mapping[str, tuple[int, str]],
    location: str | None = None,
    tolerance: Tolerance | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """Sorting (one input, several outputs) or baling (several inputs, one bale).

    `input_heads` gives each input lot's chain head *before* this event (seq, hash); the outputs
    record them in ``ilmd.hl:inputHeads``, which ties each output's history to its inputs'.
    Outputs heavier than the inputs beyond `tolerance` are refused (``check_mass_balance``).
    """
    if not inputs or not outputs:
        raise Invalid(
            "转换需要至少一个投入和一个产出", {"inputs" if not inputs else "outputs": "required"}
        )
    lots = [p.lot for p in inputs] + [p.lot for p in outputs]
    if len(set(lots)) != len(lots):
        raise Invalid("同一批次在转换中出现两次", {"outputs": "duplicate lot"})
    missing = [p.lot for p in inputs if p.lot not in input_heads]
    if missing:
        raise Invalid("缺少投入批次的链头：%(lot)s", {"input_heads": "missing"}, lot=missing[0])
    check_mass_balance([p.mass_g for p in inputs], [p.mass_g for p in outputs], tolerance)
    heads = [
        {"hl:lot": p.lot, "hl:seq": input_heads[p.lot][0], "hl:head": input_heads[p.lot][1]}
        for p in inputs
    ]
    fields = {
        "inputQuantityList": [quantity(p.lot, p.mass_g) for p in inputs],
        "outputQuantityList": [quantity(p.lot, p.mass_g) for p in outputs],
        "bizStep": BIZSTEP_SORTING if kind == "sorting" else BIZSTEP_BALING,
        "disposition": "active",
        "ilmd": {"hl:inputHeads": heads},
    }
    return _event("TransformationEvent", at, tz, fields, read_point=location, biz_location=location)


def storing(
    lot: str, *, at: datetime, location: str, mass_g: int | None = None, tz: str = "Asia/Shanghai"
) -> Json:
    """Warehouse-in (入库): stored at a location, available."""
    return _observe(lot, at, tz, "storing", "available", mass_g, location=location)


def sampling(
    lot: str,
    *,
    at: datetime,
    sample_g: int | None = None,
    sample: str | None = None,
    location: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """A sample is drawn (its mass and its own ID URI, when it has one)."""
    extensions = {
        "hl:sample": sample,
        "hl:sampleMass": None if sample_g is None else kilograms(sample_g, "sample_g"),
    }
    return _observe(
        lot, at, tz, "sampling", "active", None, location=location, extensions=extensions
    )


def inspection(
    lot: str,
    *,
    at: datetime,
    conformant: bool,
    measurements: Sequence[Measurement] = (),
    report: str | None = None,
    location: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """An inspection or lab result: conformant or not, with its measurements as sensor data."""
    sensors = None
    if measurements:
        reports = [{"type": m.type, "value": m.value, "uom": m.uom} for m in measurements]
        sensors = [{"sensorMetadata": {"time": event_time(at)}, "sensorReport": reports}]
    return _observe(
        lot,
        at,
        tz,
        "inspecting",
        "conformant" if conformant else "non_conformant",
        None,
        location=location,
        sensors=sensors,
        extensions={"hl:report": report},
    )


def trade(
    lot: str,
    *,
    at: datetime,
    transaction: str,
    seller: str,
    buyer: str,
    mass_g: int | None = None,
    terms_commitment: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """The award (成交): a TransactionEvent tying the lot to the trade, seller to buyer."""
    fields = {
        "bizTransactionList": [{"type": "po", "bizTransaction": transaction}],
        "quantityList": [quantity(lot, mass_g)],
        "action": "ADD",
        "bizStep": BIZSTEP_TRADING,
        "disposition": "reserved",
        "sourceList": [{"type": "owning_party", "source": seller}],
        "destinationList": [{"type": "owning_party", "destination": buyer}],
    }
    extensions = {"hl:termsCommitment": terms_commitment}
    return _event("TransactionEvent", at, tz, fields, extensions=extensions)


def shipping(
    lot: str,
    *,
    at: datetime,
    origin: str,
    destination: str,
    carrier: str | None = None,
    mass_g: int | None = None,
    transaction: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """Departure (出库 / 发运) from `origin` to `destination`, in transit."""
    return _observe(
        lot,
        at,
        tz,
        "shipping",
        "in_transit",
        mass_g,
        location=origin,
        sources=[("location", origin)],
        destinations=[("location", destination), ("possessing_party", carrier)],
        transactions=[("po", transaction)] if transaction else (),
    )


def receiving(
    lot: str,
    *,
    at: datetime,
    location: str,
    receiver: str,
    mass_g: int | None = None,
    transaction: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """Arrival at the buyer, with the weighbridge net when known."""
    return _observe(
        lot,
        at,
        tz,
        "receiving",
        "in_progress",
        mass_g,
        location=location,
        destinations=[("owning_party", receiver)],
        transactions=[("po", transaction)] if transaction else (),
    )


def end_use(
    lot: str,
    *,
    at: datetime,
    use: Literal["recycling", "reuse", "energy_recovery", "disposal"],
    product: str | None = None,
    location: str | None = None,
    tz: str = "Asia/Shanghai",
) -> Json:
    """The lot ends (DELETE, decommissioning) in its end use, and what it became."""
    if use not in END_USE_DISPOSITION:
        raise Invalid("未知的最终用途：%(use)s", {"use": "unknown"}, use=str(use))
    fields = {
        "action": "DELETE",
        "quantityList": [quantity(lot, None)],
        "bizStep": "decommissioning",
        "disposition": END_USE_DISPOSITION[use],
    }
    extensions = {"hl:endUse": use, "hl:product": product}
    return _event("ObjectEvent", at, tz, fields, read_point=location, extensions=extensions)
