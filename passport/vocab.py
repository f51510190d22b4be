"""The passport's EPCIS vocabulary and value formats: namespace, context, IDs, times, masses.

Kept apart from the builders (``passport.epcis``) so the verifier and validator can use the
constants without the builders; the error-declaration (correction) and document helpers
live here too. ``passport.epcis`` re-exports everything here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import Invalid
from passport.canonical import canonical, canonical_hash, sha256_hex

NAMESPACE = "https://huanlian.example/voc/"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"hl": NAMESPACE}]
EVENT_ID_PREFIX = "ni:///sha-256;"
EVENT_ID_SUFFIX = "?ver=hl-jcs-1"

BIZSTEP_SORTING = NAMESPACE + "bizstep/sorting"
BIZSTEP_BALING = NAMESPACE + "bizstep/baling"
BIZSTEP_TRADING = NAMESPACE + "bizstep/trading"
END_USE_DISPOSITION = {
    "recycling": NAMESPACE + "disposition/recycled",  # 再生利用
    "reuse": NAMESPACE + "disposition/reused",  # 再使用
    "energy_recovery": NAMESPACE + "disposition/energy_recovered",  # 能量回收
    "disposal": "disposed",  # 无害化处置 (CBV)
}
NOT_HASHED_IN_ID = ("eventID", "recordTime", "errorDeclaration")

Json = dict[str, Any]


@dataclass(frozen=True)
class Portion:
    """A lot and a mass in grams: one input or output of a transformation."""

    lot: str
    mass_g: int


@dataclass(frozen=True)
class Measurement:
    """One sensor or lab reading: a CBV measurement type (or URI), a value and a UN/ECE unit."""

    type: str
    value: float
    uom: str


def kilograms(mass_g: int, field: str = "mass_g") -> float:
    """Integer grams as kilograms (exact to the gram in RFC 8785); negative or non-int refused."""
    if not isinstance(mass_g, int) or isinstance(mass_g, bool) or mass_g < 0:
        raise Invalid("重量必须是非负整数克", {field: "non-negative integer grams"})
    if mass_g > 2**53 - 1:
        raise Invalid("重量超出范围", {field: "too large"})
    return mass_g / 1000


def event_time(moment: datetime) -> str:
    """UTC RFC 3339 with milliseconds, as EPCIS examples write it; naive times refused."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise Invalid("事件时间必须带时区（UTC）", {"at": "aware datetime"})
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


def zone_offset(moment: datetime, tz: str) -> str:
    """The ``±hh:mm`` offset of zone `tz` at `moment` (``eventTimeZoneOffset``)."""
    offset = moment.astimezone(ZoneInfo(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def event_id(event: Mapping[str, Any]) -> str:
    """The ID of an event: SHA-256 of its canonical JSON without the fields a record adds."""
    body = {k: v for k, v in event.items() if k not in NOT_HASHED_IN_ID}
    return EVENT_ID_PREFIX + canonical_hash(body) + EVENT_ID_SUFFIX


def commitment(data: Mapping[str, Any], salt: bytes) -> str:
    """``sha-256:<hex>`` of salt ‖ canonical(data): binds private terms without revealing them."""
    if len(salt) < 16:
        raise ValueError("a commitment salt needs at least 16 random bytes")
    return "sha-256:" + sha256_hex(salt + canonical(data, "terms"))


def quantity(lot: str, mass_g: int | None) -> Json:
    """A ``quantityList`` element: the lot as ``epcClass``, the mass in KGM when known."""
    element: Json = {"epcClass": lot}
    if mass_g is not None:
        element["quantity"] = kilograms(mass_g)
        element["uom"] = "KGM"
    return element


def correction(
    original: Mapping[str, Any],
    corrective: Mapping[str, Any],
    *,
    at: datetime,
    reason: str = "incorrect_data",
) -> tuple[Json, Json]:
    """The EPCIS way to amend: (error declaration of `original`, the corrective event).

    The declaration is the original event unchanged — same ``eventID`` — plus
    ``errorDeclaration`` with the time, the CBV reason (``incorrect_data``, ``did_not_occur``
    or a URI) and the corrective event's ID. Nothing stored is updated or deleted.
    """
    if "errorDeclaration" in original:
        raise Invalid("该事件已被声明有误", {"event": "already declared"})
    declared = copy.deepcopy(dict(original))
    declared["errorDeclaration"] = {
        "declarationTime": event_time(at),
        "reason": reason,
        "correctiveEventIDs": [corrective["eventID"]],
    }
    return declared, copy.deepcopy(dict(corrective))


def document(events: Sequence[Mapping[str, Any]], *, created_at: datetime) -> Json:
    """The EPCISDocument carrying `events`, with the standard context and our prefix."""
    return {
        "@context": copy.deepcopy(CONTEXT),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": event_time(created_at),
        "epcisBody": {"eventList": [copy.deepcopy(dict(e)) for e in events]},
    }


def classes(event: Mapping[str, Any]) -> list[str]:
    """Every lot (``epcClass``) an event names, inputs before outputs."""
    found: list[str] = []
    for key in ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList"):
        for element in event.get(key) or []:
            if isinstance(element, Mapping) and isinstance(element.get("epcClass"), str):
                found.append(element["epcClass"])
    return found
