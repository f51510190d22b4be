"""Pair features for (buyer, lot), built from what the platform can know.

The buyer's history comes from logged exposures: how often it was shown and bid on each
category and process, and the TF-IDF centroid of the texts of lots it bid on (character
n-grams, so Chinese needs no word segmentation). For training rows the pair's own outcome is
taken out of the history (leave-one-out), or a bid would explain itself. A share of training
rows is built as if the buyer had no history at all ("history dropout"), so the same model
learns to rank for cold-start buyers from their declared profile (licence breadth, radius,
tolerance) and the market-wide category rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.feasibility import BuyerTable, LotTable
from matching.types import Exposure

FEATURES = (
    "dist_over_radius",
    "dist_km",
    "cat_share",
    "cat_rate",
    "proc_share",
    "proc_rate",
    "buyer_rate",
    "log_bids",
    "has_history",
    "text_sim",
    "cat_market_rate",
    "licence_breadth",
    "contamination_margin",
    "contamination_pct",
    "moisture_pct",
    "dql",
    "dql_margin",
    "ask_ratio",
    "quantity_over_capacity",
)
PRIOR = 2.0  # pseudo-exposures that shrink a buyer's rates to the market's


@dataclass
class PairBlock:
    """Index arrays describing many pairs: buyer rows in a BuyerTable, lot rows in a LotTable."""

    buyer_idx: np.ndarray
    lot_idx: np.ndarray
    dist_km: np.ndarray


class History:
    """What exposures say about each buyer, and the market-wide rates (fitted once)."""

    def __init__(
        self, lots: LotTable, buyers: BuyerTable, exposures: Sequence[Exposure], tfidf_min_df: int
    ) -> None:
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 2), min_df=tfidf_min_df, sublinear_tf=True
        )
        self.vectorizer.fit(lots.text)
        declared = {c for b in buyers.buyers for c in b.permitted_categories}
        self.categories = sorted(set(lots.categories) | declared)
        self.cat_pos = {c: i for i, c in enumerate(self.categories)}
        self.processes = sorted(set(lots.process))
        self.proc_pos = {p: i for i, p in enumerate(self.processes)}
        nb, nc, npr = len(buyers), len(self.categories), len(self.processes)
        bi = np.array([buyers.pos[e.buyer_id] for e in exposures], dtype=np.int64)
        li = np.array([lots.pos[e.lot_id] for e in exposures], dtype=np.int64)
        y = np.array([e.bid for e in exposures], dtype=float)
        ci = self.lot_cat(lots)[li]
        pi = self.lot_proc(lots)[li]
        self.shown_cat = np.zeros((nb, nc))
        self.bids_cat = np.zeros((nb, nc))
        self.shown_proc = np.zeros((nb, npr))
        self.bids_proc = np.zeros((nb, npr))
        np.add.at(self.shown_cat, (bi, ci), 1)
        np.add.at(self.bids_cat, (bi, ci), y)
        np.add.at(self.shown_proc, (bi, pi), 1)
        np.add.at(self.bids_proc, (bi, pi), y)
        self.shown = self.shown_cat.sum(1)
        self.bids = self.bids_cat.sum(1)
        self.market_rate = float(y.mean()) if len(y) else 0.1
        shown_c = self.shown_cat.sum(0)
        self.cat_rate = (self.bids_cat.sum(0) + PRIOR * self.market_rate) / (shown_c + PRIOR)
        vec = self.vectors(lots)
        pos = np.flatnonzero(y > 0)
        agg = sparse.csr_matrix((np.ones(len(pos)), (bi[pos], np.arange(len(pos)))),
                                shape=(nb, len(pos)))  # fmt: skip
        self.profile = (agg @ vec[li[pos]]).tocsr()  # sum of bid lots' TF-IDF rows
        self.profile_sq = np.asarray(self.profile.multiply(self.profile).sum(1)).ravel()
        self.buyer_pos = dict(buyers.pos)
        self.train = (bi, li, y)

    def lot_cat(self, lots: LotTable) -> np.ndarray:
        """Each lot's category in this history's vocabulary (unknown → -1)."""
        key = ("cat", id(self))
        if key not in lots.cache:
            lots.cache[key] = np.array([self.cat_pos.get(c, -1) for c in lots.category])
        return lots.cache[key]  # type: ignore[return-value]

    def lot_proc(self, lots: LotTable) -> np.ndarray:
        """Each lot's process in this history's vocabulary (unknown → -1)."""
        key = ("proc", id(self))
        if key not in lots.cache:
            lots.cache[key] = np.array([self.proc_pos.get(p, -1) for p in lots.process])
        return lots.cache[key]  # type: ignore[return-value]

    def vectors(self, lots: LotTable) -> sparse.csr_matrix:
        """The lots' TF-IDF rows, computed once per table."""
        key = ("tfidf", id(self))
        if key not in lots.cache:
            lots.cache[key] = self.vectorizer.transform(lots.text).tocsr()
        return lots.cache[key]  # type: ignore[return-value]

    def buyer_rows(self, buyers: BuyerTable) -> np.ndarray:
        """Row of each buyer of `buyers` in this history (-1 for a buyer never seen in fit)."""
        key = ("hrow", id(self))
        if key not in buyers.cache:
            buyers.cache[key] = np.array([self.buyer_pos.get(b, -1) for b in buyers.ids])
        return buyers.cache[key]  # type: ignore[return-value]


def _take(mat: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """mat[rows, cols] with 0 where either index is -1."""
    ok = (rows >= 0) & (cols >= 0)
    out = np.zeros(len(rows))
    out[ok] = mat[rows[ok], cols[ok]]
    return out


def pair_features(
    hist: History,
    hist_rows: np.ndarray,
    buyers: BuyerTable,
    lots: LotTable,
    block: PairBlock,
    own_bid: np.ndarray | None = None,
    cold: np.ndarray | None = None,
) -> np.ndarray:
    """The feature matrix (len(pairs) × len(FEATURES)) for the pairs in `block`.

    `hist_rows[j]` is the history row of buyer j of `buyers` (or -1);
    `own_bid` (training) removes each row's own exposure from its history; `cold` marks rows
    to build as if the buyer had no history.
    """
    n = len(block.lot_idx)
    hr = hist_rows[block.buyer_idx].copy()
    if cold is not None:
        hr[cold] = -1
    li = block.lot_idx
    ci, pi = hist.lot_cat(lots)[li], hist.lot_proc(lots)[li]
    sub_s = np.zeros(n) if own_bid is None else (hr >= 0).astype(float)
    sub_b = np.zeros(n) if own_bid is None else own_bid * (hr >= 0)
    shown = np.where(hr >= 0, hist.shown[np.maximum(hr, 0)], 0.0) - sub_s
    bids = np.where(hr >= 0, hist.bids[np.maximum(hr, 0)], 0.0) - sub_b
    s_cat = _take(hist.shown_cat, hr, ci) - sub_s * (ci >= 0)
    b_cat = _take(hist.bids_cat, hr, ci) - sub_b * (ci >= 0)
    s_proc = _take(hist.shown_proc, hr, pi) - sub_s * (pi >= 0)
    b_proc = _take(hist.bids_proc, hr, pi) - sub_b * (pi >= 0)
    mrate = hist.market_rate
    cat_mrate = np.where(ci >= 0, hist.cat_rate[np.maximum(ci, 0)], mrate)
    b_rate = (bids + PRIOR * mrate) / (shown + PRIOR)
    bx = block.buyer_idx
    breadth = buyers.breadth[bx]
    has = bids > 0
    cat_share = np.where(has, b_cat / np.maximum(bids, 1), 1.0 / breadth)
    proc_share = np.where(has, b_proc / np.maximum(bids, 1), 1.0 / max(len(hist.processes), 1))
    cat_rate = (b_cat + PRIOR * cat_mrate) / (s_cat + PRIOR)
    proc_rate = (b_proc + PRIOR * b_rate) / (s_proc + PRIOR)
    # text similarity to the (leave-one-out) centroid of lots the buyer bid on
    vec = hist.vectors(lots)[li]
    ok = hr >= 0
    dot = np.zeros(n)
    psq = np.zeros(n)
    if ok.any():
        dot[ok] = np.asarray(vec[ok].multiply(hist.profile[hr[ok]]).sum(1)).ravel()
        psq[ok] = hist.profile_sq[hr[ok]]
    if own_bid is not None:  # rows are unit vectors: remove the lot itself when it was a bid
        dot = dot - sub_b
        psq = psq - 2 * sub_b * (dot + sub_b) + sub_b
    sim = np.where(psq > 1e-9, dot / np.sqrt(np.maximum(psq, 1e-9)), 0.0)
    radius, cap = buyers.radius[bx], buyers.capacity[bx]
    maxc, mind = buyers.max_contamination[bx], buyers.min_dql[bx]
    return np.c_[
        block.dist_km / np.maximum(radius, 1e-9),
        block.dist_km,
        cat_share,
        cat_rate,
        proc_share,
        proc_rate,
        b_rate,
        np.log1p(np.maximum(bids, 0)),
        has.astype(float),
        sim,
        cat_mrate,
        breadth,
        (maxc - lots.contamination[li]) / np.maximum(maxc, 1e-9),
        lots.contamination[li],
        lots.moisture[li],
        lots.dql[li],
        lots.dql[li] - mind,
        lots.ask[li],
        lots.quantity[li] / np.maximum(cap, 1e-9),
    ]
