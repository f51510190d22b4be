"""The pure flow pictures against a hand-built cluster with hand-worked answers.

Cluster (t = tonnes): P1 –10– S1, P2 –5– S1, S1 –12– B1, S1 –3– B2, P3 –4– B1, P3 –2– S1.
S1, B1 and P3 form a triangle; P1, P2 and B2 hang on S1 alone.
- Articulation points: only S1. Bridges: P1–S1, P2–S1, S1–B2 (every edge off the triangle).
- S1 removed leaves {P1}, {P2}, {B2}, {B1, P3}; S1's tonnage into them 10, 5, 3, 12+2 = 14;
  the main part keeps 14, so 10 + 5 + 3 = 18 t are stranded, in 4 parts.
- Betweenness of S1: of the 10 pairs of the other five, every pair but (B1, P3) runs through
  S1 alone: 9 / 10 = 0.9. Nobody else lies on a shortest path: 0.
"""

from marketplace.dashboard.flowgraph import DECLARED, WEIGHED, Flow, Node, network, sankey

P1, P2, S1, B1, B2, P3 = 1, 2, 3, 4, 5, 6
T = 1_000_000  # grams per tonne
NODES = {
    P1: Node(P1, "P1", "producer"),
    P2: Node(P2, "P2", "producer"),
    S1: Node(S1, "S1", "station"),
    B1: Node(B1, "B1", "recycler"),
    B2: Node(B2, "B2", "recycler"),
    P3: Node(P3, "P3", "producer"),
}


def flow(a, b, tonnes, layers, family="FE", basis=WEIGHED):
    return Flow(a, b, family, int(tonnes * T), basis, *layers)


PS, SB, PB = ("producer", "station"), ("station", "buyer"), ("producer", "buyer")
FLOWS = [
    flow(P1, S1, 10, PS),
    flow(P2, S1, 5, PS, family="NF"),
    flow(S1, B1, 12, SB),
    flow(S1, B2, 3, SB, family="NF"),
    flow(P3, B1, 3, PB),
    flow(P3, B1, 1, PB, basis=DECLARED),
    flow(P3, S1, 2, PS, family="PL"),
]


def by_id(result):
    return {n["id"]: n for n in result["nodes"]}


def test_degrees_and_weighted_degrees() -> None:
    nodes = by_id(network(FLOWS, NODES))
    assert {k: n["degree"] for k, n in nodes.items()} == {1: 1, 2: 1, 3: 5, 4: 2, 5: 1, 6: 2}
    assert nodes[S1]["weighted_degree_t"] == 32.0
    assert nodes[B1]["weighted_degree_t"] == 16.0  # 12 from S1, 3 + 1 from P3
    assert nodes[P3]["weighted_degree_t"] == 6.0


def test_betweenness() -> None:
    nodes = by_id(network(FLOWS, NODES))
    assert nodes[S1]["betweenness"] == 0.9
    assert all(nodes[k]["betweenness"] == 0 for k in (P1, P2, B1, B2, P3))


def test_bridge_enterprises_and_stranded_tonnage() -> None:
    result = network(FLOWS, NODES)
    assert [n["id"] for n in result["bridge_enterprises"]] == [S1]
    assert result["bridge_enterprises"][0]["stranded_t"] == 18.0
    assert result["bridge_enterprises"][0]["parts"] == 4
    pairs = [(e["source"], e["target"], e["value_t"]) for e in result["bridge_edges"]]
    assert pairs == [(P1, S1, 10.0), (P2, S1, 5.0), (S1, B2, 3.0)]


def test_a_ring_has_no_bridge() -> None:
    ring = [flow(P1, S1, 1, PS), flow(S1, B1, 1, SB), flow(P1, B1, 1, PB)]
    result = network(ring, NODES)
    assert result["bridge_enterprises"] == []
    assert result["bridge_edges"] == []


def test_sankey_layers_links_and_basis() -> None:
    result = sankey(FLOWS, NODES)
    names = [n["name"] for n in result["nodes"]]
    # a station that receives and sells is one node in its own column; producers left
    assert names == ["producer:1", "producer:2", "producer:6", "station:3", "buyer:4", "buyer:5"]
    links = {(link["source"], link["target"]): link for link in result["links"]}
    direct = links[("producer:6", "buyer:4")]
    assert (direct["value"], direct["weighed_t"], direct["declared_t"]) == (4.0, 3.0, 1.0)
    assert result["weighed_t"] == 35.0
    assert result["declared_t"] == 1.0
    assert links[("producer:6", "station:3")]["families"] == {"PL": 2.0}


def test_sankey_one_family() -> None:
    result = sankey(FLOWS, NODES, family="NF")
    assert [(link["source"], link["target"], link["value"]) for link in result["links"]] == [
        ("producer:2", "station:3", 5.0),
        ("station:3", "buyer:5", 3.0),
    ]
