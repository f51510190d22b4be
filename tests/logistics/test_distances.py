"""Geodesic matrices agree with geopy; a GraphML road graph gives shortest-path km, cached."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from geopy.distance import geodesic

from logistics import Depot, Problem, Request, Vehicle, plan
from logistics.distances import RoadGraph, build, geodesic_matrix_km
from tests.logistics.helpers import feasible

SITES = [(22.905, 113.770), (22.940, 113.673), (22.815, 113.672)]


def test_geodesic_matrix_matches_geopy() -> None:
    m = geodesic_matrix_km(SITES)
    for i, a in enumerate(SITES):
        for j, b in enumerate(SITES):
            assert m[i, j] == pytest.approx(geodesic(a, b).km, abs=1e-9)
    scaled = build(SITES, planar=False, circuity=1.3)
    assert scaled.dist[0, 1] == round(geodesic(SITES[0], SITES[1]).km * 1.3 * 1000)
    assert scaled.time(36.0)[0, 1] == round(scaled.dist[0, 1] / 1000 / 36.0 * 3600)


def _graphml(tmp_path: Path) -> Path:
    # a square of roads with one long way round: 0–1–2 is 3 km, the direct 0–2 edge 10 km;
    # attributes as strings, as OSMnx writes them
    g = nx.MultiDiGraph()
    for n, (lat, lon) in enumerate([SITES[0], (22.92, 113.72), SITES[1]]):
        g.add_node(str(n), y=str(lat), x=str(lon))
    for u, v, length in [("0", "1", "1000"), ("1", "2", "2000"), ("0", "2", "10000")]:
        g.add_edge(u, v, length=length)
        g.add_edge(v, u, length=length)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    return path


def test_road_graph_shortest_paths_and_cache(tmp_path: Path) -> None:
    roads = RoadGraph.from_graphml(str(_graphml(tmp_path)))
    km = roads.matrix_km([SITES[0], SITES[1]])
    assert km[0, 1] == pytest.approx(3.0)  # via node 1, not the 10 km edge
    assert len(roads._cache) == 2
    roads.matrix_km([SITES[1], SITES[0]])
    assert len(roads._cache) == 2  # the same sources again: served from the cache


def test_plan_over_a_road_graph(tmp_path: Path) -> None:
    roads = RoadGraph.from_graphml(str(_graphml(tmp_path)))
    p = Problem(
        (Request("厂A", *SITES[1], kg=100),),
        (Vehicle("V1", "van", 1500, depot="D"),),
        (Depot("D", *SITES[0]),),
        road_graph=roads,
    )
    result = feasible(p, plan(p, time_limit_s=1))
    assert result.distance == pytest.approx(6.0)
