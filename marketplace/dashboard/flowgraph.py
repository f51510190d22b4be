"""Material flows as pictures a regulator reads: the Sankey (producers → stations → buyers) and
the industrial symbiosis network (enterprises as nodes, tonnage as weighted edges).

Pure: plain records in, plain dicts out, no Flask and no database, so the hand-worked tests
can check the graph measures without an app. `flows.py` adapts the platform's rows into `Flow`.

Weights are integer grams throughout; tonnes appear only as display numbers at the edge of
the output (`*_t`, rounded to 3 places = 1 kg). Every link says how much of it was weighed on
a station scale or weighbridge and how much is only declared (unweighed), because the issue
asks that a declared weight never pass for a weighed one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

WEIGHED, DECLARED = "weighed", "declared"
LAYERS = ("producer", "station", "buyer")  # Sankey columns, left to right


@dataclass(frozen=True)
class Node:
    """An enterprise on the map: its organisation id, name, kind and coordinates."""

    id: int
    name: str
    kind: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Flow:
    """Material that moved from one enterprise to another in the period.

    `source_layer`/`target_layer` place it in the Sankey ("producer", "station", "buyer");
    `basis` is WEIGHED (a station net or weighbridge net) or DECLARED (the seller's quantity
    because nothing weighed it yet); `record` names the row behind it for drill-down.
    """

    source: int
    target: int
    family: str
    grams: int
    basis: str
    source_layer: str
    target_layer: str
    record: str = ""


def tonnes(grams: int) -> float:
    """Grams as tonnes for display (3 decimals = whole kilograms)."""
    return round(grams / 1_000_000, 3)


@dataclass
class _Link:
    weighed_g: int = 0
    declared_g: int = 0
    families: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def sankey(
    flows: Iterable[Flow], nodes: Mapping[int, Node], family: str | None = None
) -> dict[str, Any]:
    """ECharts Sankey data: one node per (layer, enterprise) so that a station that both
    receives and sells stays acyclic, links summed per pair with their family split and
    weighed/declared split. `family` keeps only one material family."""
    links: dict[tuple[str, str], _Link] = defaultdict(_Link)
    used: dict[str, tuple[str, int]] = {}
    for flow in flows:
        if family and flow.family != family:
            continue
        if flow.grams <= 0:
            continue
        source = f"{flow.source_layer}:{flow.source}"
        target = f"{flow.target_layer}:{flow.target}"
        used[source] = (flow.source_layer, flow.source)
        used[target] = (flow.target_layer, flow.target)
        link = links[(source, target)]
        if flow.basis == WEIGHED:
            link.weighed_g += flow.grams
        else:
            link.declared_g += flow.grams
        link.families[flow.family] += flow.grams
    out_nodes = [
        {
            "name": key,
            "label": nodes[org].name if org in nodes else str(org),
            "layer": layer,
            "depth": LAYERS.index(layer),
            "org_id": org,
        }
        for key, (layer, org) in sorted(used.items(), key=lambda i: (LAYERS.index(i[1][0]), i[0]))
    ]
    out_links = [
        {
            "source": source,
            "target": target,
            "value": tonnes(link.weighed_g + link.declared_g),
            "weighed_t": tonnes(link.weighed_g),
            "declared_t": tonnes(link.declared_g),
            "families": {k: tonnes(v) for k, v in sorted(link.families.items())},
        }
        for (source, target), link in sorted(links.items())
    ]
    total_w = sum(link.weighed_g for link in links.values())
    total_d = sum(link.declared_g for link in links.values())
    return {
        "nodes": out_nodes,
        "links": out_links,
        "weighed_t": tonnes(total_w),
        "declared_t": tonnes(total_d),
    }


def graph(flows: Iterable[Flow]) -> nx.Graph:
    """The undirected symbiosis graph: one edge per pair of enterprises, weight in grams
    (both directions and all families summed; the network asks *who depends on whom*)."""
    g = nx.Graph()
    for flow in flows:
        if flow.grams <= 0 or flow.source == flow.target:
            continue
        if g.has_edge(flow.source, flow.target):
            g[flow.source][flow.target]["grams"] += flow.grams
        else:
            g.add_edge(flow.source, flow.target, grams=flow.grams)
    return g


def stranded_grams(g: nx.Graph, node: int) -> tuple[int, int]:
    """What closing `node` would strand: (grams, parts). Without it the rest falls into parts;
    the part it traded most with keeps the main network (its flows can be re-routed there),
    and the flows from `node` into every other part have no partner left to go to."""
    rest = g.copy()
    rest.remove_node(node)
    per_part: list[int] = []
    for part in nx.connected_components(rest):
        per_part.append(sum(g[node][n]["grams"] for n in g.neighbors(node) if n in part))
    touched = [grams for grams in per_part if grams > 0]
    if len(touched) < 2:
        return 0, len(touched)
    return sum(touched) - max(touched), len(touched)


def network(flows: Iterable[Flow], nodes: Mapping[int, Node]) -> dict[str, Any]:
    """The symbiosis network with its measures: per enterprise the degree (partners), the
    weighted degree (tonnes in and out), betweenness centrality (normalised, unweighted: how
    often it lies on the shortest chain between two others) and whether it is a bridge
    enterprise (an articulation point) with the tonnage its loss would strand; and the bridge
    edges (a pair whose flow has no alternative path), each with its tonnage."""
    g = graph(flows)
    betweenness = nx.betweenness_centrality(g, normalized=True) if len(g) > 2 else {}
    cut_points = set(nx.articulation_points(g))
    out_nodes = []
    for org in sorted(g.nodes):
        info = nodes.get(org)
        stranded, parts = stranded_grams(g, org) if org in cut_points else (0, 0)
        out_nodes.append(
            {
                "id": org,
                "name": info.name if info else str(org),
                "kind": info.kind if info else "",
                "degree": g.degree(org),
                "weighted_degree_t": tonnes(g.degree(org, weight="grams")),
                "betweenness": round(betweenness.get(org, 0.0), 4),
                "bridge": org in cut_points,
                "stranded_t": tonnes(stranded),
                "parts": parts,
            }
        )
    edges = [
        {"source": a, "target": b, "value_t": tonnes(data["grams"])}
        for a, b, data in sorted(g.edges(data=True), key=lambda e: (min(e[:2]), max(e[:2])))
    ]
    bridge_edges = sorted(
        (
            {"source": min(a, b), "target": max(a, b), "value_t": tonnes(g[a][b]["grams"])}
            for a, b in nx.bridges(g)
        ),
        key=lambda e: (-e["value_t"], e["source"], e["target"]),
    )
    bridges = sorted(
        (n for n in out_nodes if n["bridge"]), key=lambda n: (-n["stranded_t"], n["id"])
    )
    return {
        "nodes": out_nodes,
        "edges": edges,
        "bridge_enterprises": bridges,
        "bridge_edges": bridge_edges,
    }
