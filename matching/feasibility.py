"""The hard feasibility filter: never learned, applied before any score.

A recycler may only be shown what it may legally and physically take: the lot's category and
every one of its HW codes within its licence, the site within its haul radius, the quantity
within its capacity, contamination within its tolerance and the DQL at least its minimum.
The learned model only orders what passes here, so nothing infeasible is ever recommended.

Lots and buyers are held as column arrays (`LotTable`, `BuyerTable`) so the filter is a few
vectorised comparisons; distance to many lots uses a BallTree on haversine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.neighbors import BallTree

from matching.types import Buyer, Lot, MatchingError

EARTH_RADIUS_KM = 6371.0088
BALLTREE_MIN_LOTS = 2000  # below this a direct haversine over all lots is faster


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray):
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class LotTable:
    """Lots as columns, with a BallTree over their sites built on first use for many lots."""

    def __init__(self, lots: Sequence[Lot]) -> None:
        lots = list(lots)
        self.lots = lots
        self.ids = [lot.id for lot in lots]
        self.pos = {lid: i for i, lid in enumerate(self.ids)}
        if len(self.pos) != len(lots):
            raise MatchingError("lots", "lot ids must be unique")
        self.lat = np.array([lot.lat for lot in lots], dtype=float)
        self.lon = np.array([lot.lon for lot in lots], dtype=float)
        self.quantity = np.array([lot.quantity_t for lot in lots], dtype=float)
        self.contamination = np.array([lot.contamination_pct for lot in lots], dtype=float)
        self.moisture = np.array([lot.moisture_pct for lot in lots], dtype=float)
        self.dql = np.array([lot.dql for lot in lots], dtype=float)
        self.ask = np.array([lot.ask_ratio for lot in lots], dtype=float)
        self.categories = sorted({lot.category for lot in lots})
        cat_pos = {c: i for i, c in enumerate(self.categories)}
        self.cat = np.array([cat_pos[lot.category] for lot in lots], dtype=np.int64)
        self.process = [lot.process for lot in lots]
        self.category = [lot.category for lot in lots]
        self.seller = [lot.seller for lot in lots]
        self.seller_names, self.seller_code = np.unique(
            np.array(self.seller, dtype=object), return_inverse=True
        )
        self.text = [lot.text or f"{lot.category} {lot.process}" for lot in lots]
        self.hw_vocab = sorted({code for lot in lots for code in lot.hw_codes})
        hw_pos = {c: i for i, c in enumerate(self.hw_vocab)}
        rows = [i for i, lot in enumerate(lots) for _ in lot.hw_codes]
        cols = [hw_pos[c] for lot in lots for c in lot.hw_codes]
        self.hw = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(lots), max(len(self.hw_vocab), 1))
        )
        self._tree: BallTree | None = None
        self.cache: dict[str, object] = {}  # per-model derived columns (e.g. TF-IDF rows)

    def __len__(self) -> int:
        return len(self.ids)

    def tree(self) -> BallTree:
        """The BallTree on (lat, lon) in radians with the haversine metric, built once."""
        if self._tree is None:
            self._tree = BallTree(np.radians(np.c_[self.lat, self.lon]), metric="haversine")
        return self._tree

    def within(self, lat: float, lon: float, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Indices of lots within `radius_km` of a point and their distances in km."""
        if len(self) >= BALLTREE_MIN_LOTS:
            # a hair wider, then the same formula as the direct path decides at the boundary
            ind = (
                self.tree()
                .query_radius(np.radians([[lat, lon]]), r=radius_km * (1 + 1e-6) / EARTH_RADIUS_KM)[
                    0
                ]
                .astype(np.int64)
            )
            d = haversine_km(lat, lon, self.lat[ind], self.lon[ind])
            keep = d <= radius_km
            return ind[keep], d[keep]
        d = haversine_km(lat, lon, self.lat, self.lon)
        idx = np.flatnonzero(d <= radius_km)
        return idx, d[idx]

    def licence_mask(self, buyer: Buyer, idx: np.ndarray) -> np.ndarray:
        """Which of the lots at `idx` the buyer's licence covers (category and every HW code)."""
        cat_ok = np.array([c in buyer.permitted_categories for c in self.categories], dtype=bool)
        ok = cat_ok[self.cat[idx]] if len(self.categories) else np.zeros(len(idx), dtype=bool)
        if self.hw.nnz:
            forbidden = np.array([c not in buyer.permitted_hw_codes for c in self.hw_vocab])
            if forbidden.any():
                bad = self.hw[idx] @ forbidden[: self.hw.shape[1]].astype(float)
                ok &= np.asarray(bad).ravel() == 0
        return ok


def feasible_lots(buyer: Buyer, table: LotTable) -> tuple[np.ndarray, np.ndarray]:
    """Indices into `table` of every lot `buyer` may take, and the distances to them in km."""
    idx, dist = table.within(buyer.lat, buyer.lon, buyer.radius_km)
    keep = (
        (table.quantity[idx] <= buyer.capacity_t)
        & (table.contamination[idx] <= buyer.max_contamination_pct)
        & (table.dql[idx] >= buyer.min_dql)
    )
    idx, dist = idx[keep], dist[keep]
    keep = table.licence_mask(buyer, idx)
    return idx[keep], dist[keep]


def is_feasible(buyer: Buyer, lot: Lot) -> bool:
    """The same rules for one pair, written plainly: the reference the tests check against."""
    d = float(haversine_km(buyer.lat, buyer.lon, lot.lat, lot.lon))
    return (
        lot.category in buyer.permitted_categories
        and all(code in buyer.permitted_hw_codes for code in lot.hw_codes)
        and d <= buyer.radius_km
        and lot.quantity_t <= buyer.capacity_t
        and lot.contamination_pct <= buyer.max_contamination_pct
        and lot.dql >= buyer.min_dql
    )


class BuyerTable:
    """Buyers as columns, for ranking recyclers for one lot."""

    def __init__(self, buyers: Sequence[Buyer]) -> None:
        buyers = list(buyers)
        self.buyers = buyers
        self.ids = [b.id for b in buyers]
        self.pos = {bid: i for i, bid in enumerate(self.ids)}
        if len(self.pos) != len(buyers):
            raise MatchingError("buyers", "buyer ids must be unique")
        self.lat = np.array([b.lat for b in buyers], dtype=float)
        self.lon = np.array([b.lon for b in buyers], dtype=float)
        self.radius = np.array([b.radius_km for b in buyers], dtype=float)
        self.capacity = np.array([b.capacity_t for b in buyers], dtype=float)
        self.max_contamination = np.array([b.max_contamination_pct for b in buyers], dtype=float)
        self.min_dql = np.array([b.min_dql for b in buyers], dtype=float)
        self.breadth = np.array([len(b.permitted_categories) for b in buyers], dtype=float)
        self._cat_index: dict[str, np.ndarray] = {}
        self._hw_index: dict[str, np.ndarray] = {}
        for i, b in enumerate(buyers):
            for c in b.permitted_categories:
                self._cat_index.setdefault(c, []).append(i)  # type: ignore[union-attr]
            for c in b.permitted_hw_codes:
                self._hw_index.setdefault(c, []).append(i)  # type: ignore[union-attr]
        n = len(buyers)
        for index in (self._cat_index, self._hw_index):
            for key, rows in index.items():
                mask = np.zeros(n, dtype=bool)
                mask[rows] = True
                index[key] = mask
        self.cache: dict[str, object] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def feasible_for(self, lot: Lot) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the buyers that may take `lot`, and their distances to it in km."""
        n = len(self)
        ok = self._cat_index.get(lot.category, np.zeros(n, dtype=bool)).copy()
        for code in lot.hw_codes:
            ok &= self._hw_index.get(code, np.zeros(n, dtype=bool))
        ok &= (
            (lot.quantity_t <= self.capacity)
            & (lot.contamination_pct <= self.max_contamination)
            & (lot.dql >= self.min_dql)
        )
        idx = np.flatnonzero(ok)
        d = haversine_km(lot.lat, lot.lon, self.lat[idx], self.lon[idx])
        keep = d <= self.radius[idx]
        return idx[keep], d[keep]
