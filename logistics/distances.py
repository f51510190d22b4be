"""Distance and travel-time matrices.

Default: the geodesic (WGS84, Karney's algorithm — the one `geopy.distance.geodesic` runs)
times a circuity factor, because straight lines under-count road kilometres by 20–40 % in a
river-delta town; each vehicle type gets its own travel time from its speed. When a road graph
is configured (`RoadGraph`, e.g. GraphML exported from OpenStreetMap by OSMnx) shortest paths
over it replace the geodesic; the single-source results are cached per graph node, so
re-planning the same area re-uses them.

Matrices are integer (metres and seconds, or the planar file's units × scale) because OR-Tools
routing works on integers, and the checker re-evaluates a plan on the very same integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from geographiclib.geodesic import Geodesic  # geopy's geodesic backend
from geopy.distance import geodesic

UNREACHABLE_M = 10_000_000  # 10,000 km: no route on the road graph between the two points

Point = tuple[float, float]


def geodesic_km(a: Point, b: Point) -> float:
    """One geodesic distance in km (geopy), for callers that need a single figure."""
    return float(geodesic(a, b).km)


def geodesic_matrix_km(points: Sequence[Point]) -> np.ndarray:
    """Symmetric matrix of geodesic km. Calls geographiclib's `Inverse` directly: it is what
    geopy's `geodesic` computes, without geopy's per-call point parsing (half the time)."""
    n = len(points)
    out = np.zeros((n, n))
    g = Geodesic.WGS84
    mask = Geodesic.DISTANCE
    for i in range(n):
        la, lo = points[i]
        for j in range(i + 1, n):
            lb, lob = points[j]
            d = g.Inverse(la, lo, lb, lob, mask)["s12"] / 1000.0
            out[i, j] = out[j, i] = d
    return out


def euclidean_matrix(points: Sequence[Point]) -> np.ndarray:
    """Plain Euclidean distances of planar (y, x) points."""
    arr = np.asarray(points, dtype=float)
    diff = arr[:, None, :] - arr[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


class RoadGraph:
    """A directed road network whose nodes carry `x` (lon) and `y` (lat) and whose edges carry
    `length` in metres (OSMnx's GraphML). Points are snapped to the nearest graph node."""

    def __init__(self, graph: nx.Graph, weight: str = "length") -> None:
        self.graph = graph
        self.weight = weight
        for _, _, data in graph.edges(data=True):
            data[weight] = float(data.get(weight, 0.0))
        self._nodes = list(graph.nodes)
        self._xy = np.array(
            [[float(graph.nodes[n]["y"]), float(graph.nodes[n]["x"])] for n in self._nodes]
        )
        self._cache: dict[object, dict[object, float]] = {}

    @classmethod
    def from_graphml(cls, path: str) -> RoadGraph:
        """Load a GraphML file (string attributes are converted)."""
        return cls(nx.read_graphml(path))

    def nearest(self, p: Point) -> object:
        """The graph node nearest to (lat, lon), on an equirectangular projection."""
        k = math.cos(math.radians(p[0]))
        d = (self._xy[:, 0] - p[0]) ** 2 + ((self._xy[:, 1] - p[1]) * k) ** 2
        return self._nodes[int(np.argmin(d))]

    def lengths_from(self, node: object) -> dict[object, float]:
        """Shortest path lengths (m) from one node, cached."""
        hit = self._cache.get(node)
        if hit is None:
            hit = nx.single_source_dijkstra_path_length(self.graph, node, weight=self.weight)
            self._cache[node] = hit
        return hit

    def matrix_km(self, points: Sequence[Point]) -> np.ndarray:
        """Road km between every pair of points; the snapping legs to and from the graph are
        added as geodesic km, unreachable pairs get `UNREACHABLE_M`."""
        nodes = [self.nearest(p) for p in points]
        snap = [
            geodesic_km(p, (float(self.graph.nodes[n]["y"]), float(self.graph.nodes[n]["x"])))
            for p, n in zip(points, nodes, strict=True)
        ]
        n = len(points)
        out = np.zeros((n, n))
        for i in range(n):
            lengths = self.lengths_from(nodes[i])
            for j in range(n):
                if i == j:
                    continue
                m = lengths.get(nodes[j])
                out[i, j] = UNREACHABLE_M / 1000.0 if m is None else m / 1000.0 + snap[i] + snap[j]
        return out


@dataclass
class Matrices:
    """Integer distance matrix plus a way to get integer travel times per speed.

    `dist` is metres (geographic) or file units × scale (planar); `unit_km` converts one
    integer unit to km (or to file units for planar problems)."""

    dist: np.ndarray
    unit_km: float
    planar: bool

    def time(self, speed_kmh: float) -> np.ndarray:
        """Travel seconds at a speed (planar: time equals distance, same integers)."""
        if self.planar:
            return self.dist
        return np.rint(self.dist / 1000.0 / speed_kmh * 3600.0).astype(np.int64)


def build(
    points: Sequence[Point],
    *,
    planar: bool,
    circuity: float = 1.3,
    road_graph: RoadGraph | None = None,
    scale: int = 100,
    round_arcs: bool = False,
) -> Matrices:
    """The integer matrices for a list of points (depots first, then stops)."""
    if planar:
        e = euclidean_matrix(points)
        if round_arcs:
            return Matrices(np.rint(e).astype(np.int64), 1.0, True)
        return Matrices(np.rint(e * scale).astype(np.int64), 1.0 / scale, True)
    km = road_graph.matrix_km(points) if road_graph is not None else geodesic_matrix_km(points)
    if road_graph is None:
        km = km * circuity
    return Matrices(np.rint(km * 1000.0).astype(np.int64), 0.001, False)
