"""What the public scan page of a lot shows: its timeline, lineage, verification and labels.

Everything here is public by construction: events carry no prices and no personal data, and
parties are opaque URIs. What only members of a trade may see (prices, counterparties'
contacts) comes from the ``passport.hooks`` details provider the platform plugs in, never
from the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from core.errors import Invalid
from core.time import utcnow
from passport import ids
from passport.epcis import NAMESPACE, document
from passport.lineage import Lineage
from passport.services import proofs, store


def short(value: str | None) -> str | None:
    """A CBV word as is; one of our own URIs (``hl:`` namespace) by its last segment."""
    if value and value.startswith(NAMESPACE):
        return value.rsplit("/", 1)[-1]
    return value


@dataclass
class Step:
    """One row of the timeline."""

    time: str
    type: str
    step: str
    disposition: str | None
    mass_kg: Any
    location: str | None
    declared: bool
    correction: bool
    event: Mapping[str, Any]


@dataclass
class Graph:
    """The lineage laid out in columns (sources left), ready for an SVG."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    width: int = 0
    height: int = 0
    shares: list[tuple[str, str]] = field(default_factory=list)


NODE_WIDTH, COLUMN, ROW = 150, 260, 56  # the lineage graph's layout, in pixels


def _lot_of(uri: str) -> str:
    try:
        return ids.parse_uri(uri).lot_id or uri
    except ids.MalformedIdentifier:
        return uri


def _mass(event: Mapping[str, Any], lot: str) -> Any:
    for key in ("quantityList", "outputQuantityList", "inputQuantityList"):
        for element in event.get(key) or []:
            if _lot_of(str(element.get("epcClass"))) == lot and element.get("uom") == "KGM":
                return element.get("quantity")
    return None


def timeline(lot: str, events: Sequence[Mapping[str, Any]]) -> list[Step]:
    """The lot's events as the page lists them, retracted ones marked."""
    retracted = {e.get("eventID") for e in events if "errorDeclaration" in e}
    steps = []
    for event in events:
        step = store.cbv_word(event.get("bizStep")) or ""
        steps.append(
            Step(
                time=str(event.get("eventTime")),
                type=str(event.get("type")),
                step=short(step) or "",
                disposition=short(store.cbv_word(event.get("disposition"))),
                mass_kg=_mass(event, lot),
                location=(event.get("bizLocation") or event.get("readPoint") or {}).get("id"),
                declared="errorDeclaration" in event,
                correction=event.get("eventID") in retracted and "errorDeclaration" not in event,
                event=event,
            )
        )
    return steps


def descendants(lot: str, limit: int = 50) -> list[str]:
    """Lots made from `lot` through transformations (breadth first, at most `limit`)."""
    order, todo = [], [lot]
    while todo and len(order) < limit:
        current = todo.pop(0)
        for event in store.lot_events(current):
            if event.get("type") != "TransformationEvent":
                continue
            inputs = {_lot_of(q["epcClass"]) for q in event.get("inputQuantityList") or []}
            if current not in inputs:
                continue
            for q in event.get("outputQuantityList") or []:
                child = _lot_of(q["epcClass"])
                if child not in order and child != lot:
                    order.append(child)
                    todo.append(child)
    return order


def lineage_graph(lot: str) -> Graph:
    """Ancestors and descendants of `lot` with the masses that moved, laid out in columns."""
    size = proofs.stored_log().size
    lots = [*proofs.ancestors(lot, size), *descendants(lot)]
    events: dict[str, Mapping[str, Any]] = {}
    producers: dict[str, str] = {}
    for name in dict.fromkeys(lots):
        for event in store.lot_events(name):
            events.setdefault(str(event.get("eventID")) + str(len(event)), event)
            producer = (event.get("ilmd") or {}).get("hl:producer")
            if producer and event.get("bizStep") == "commissioning":
                producers[name] = str(producer)
    try:
        lineage = Lineage.from_events(list(events.values()), lot_of=_lot_of)
    except Invalid:
        return Graph()
    graph = Graph()
    if lot not in lineage.graph:
        return graph
    for name, producer in producers.items():
        if name in lineage.graph:
            lineage.add_lot(name, factory=producer)
    columns = list(nx.topological_generations(lineage.graph))
    for x, column in enumerate(columns):
        for y, name in enumerate(sorted(column)):
            graph.nodes.append(
                {"id": name, "x": 10 + x * COLUMN, "y": 24 + y * ROW, "current": name == lot}
            )
    where = {n["id"]: n for n in graph.nodes}
    for edge in lineage.to_json()["edges"]:
        a, b = where[edge["from"]], where[edge["to"]]
        graph.edges.append(
            {
                "x1": a["x"] + 150,
                "y1": a["y"],
                "x2": b["x"],
                "y2": b["y"],
                "kg": edge["mass_g"] / 1000,
            }
        )
    graph.width = 10 + (len(columns) - 1) * COLUMN + NODE_WIDTH + 10
    graph.height = max(len(c) for c in columns) * ROW
    if producers:
        shares = lineage.shares(lot, "factory")
        graph.shares = [(str(k), f"{float(v * 100):.1f} %") for k, v in shares.items()]
    return graph


def public_document(lot: str) -> dict[str, Any]:
    """The lot's EPCIS document as a scan in JSON-LD returns it."""
    return document(store.lot_events(lot), created_at=utcnow())
