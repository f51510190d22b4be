"""Pair features for (buyer, lot), built from what the platform can know.

The buyer's history comes from logged exposures: how often it was shown and bid on each
category and process, and the TF-IDF centroid of the texts of lots it bid on (character
n-grams, so Chinese needs no word segmentation). Training rows get their features from
a history built without them (out-of-fold): a leave-one-out history would leak the label,
since a bid lowers its own row's left-out bid rate. A share of training
rows is built as if the buyer had no history at all ("history dropout"), so the same model
learns to rank for cold-start buyers from their declared profile (licence breadth, radius,
tolerance) and the market-wide category rates.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.feasibility import BuyerTable, LotTable, haversine_km
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
    "text_pref",
    "pref_dist",
    "pref_margin",
    "pref_ask",
    "pref_dql",
    "pref_size",
    "ridge_pref",
)
N_SVD = 16  # latent text dimensions for the per-buyer ridge
RIDGE_LAMBDA = 3.0
N_ATTR = 5  # distance/radius, contamination margin, ask ratio, DQL, quantity/capacity
PRIOR = 2.0  # pseudo-exposures that shrink a buyer's rates to the market's


@dataclass
class PairBlock:
    """Index arrays describing many pairs: buyer rows in a BuyerTable, lot rows in a LotTable."""

    buyer_idx: np.ndarray
    lot_idx: np.ndarray
    dist_km: np.ndarray


class TextSpace:
    """TF-IDF on character n-grams of the lots' texts (Chinese needs no segmentation), and a
    truncated SVD of it: the few latent dimensions a per-buyer ridge can afford to learn."""

    def __init__(self, lots: LotTable, ngrams: tuple[int, int] = (1, 2), seed: int = 0) -> None:
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=ngrams, min_df=2 if len(lots) > 50 else 1,
            sublinear_tf=True,
        )  # fmt: skip
        m = self.vectorizer.fit_transform(lots.text)
        k = max(1, min(N_SVD, m.shape[1] - 1, len(lots) - 1))
        with warnings.catch_warnings():  # identical texts: only the unused variance ratio is 0/0
            warnings.simplefilter("ignore", RuntimeWarning)
            self.svd = TruncatedSVD(k, random_state=seed).fit(m)
        self.dims = k

    def vectors(self, lots: LotTable) -> sparse.csr_matrix:
        """The lots' TF-IDF rows, computed once per table."""
        key = ("tfidf", id(self))
        if key not in lots.cache:
            lots.cache[key] = self.vectorizer.transform(lots.text).tocsr()
        return lots.cache[key]  # type: ignore[return-value]

    def latent(self, lots: LotTable) -> np.ndarray:
        """The lots' SVD coordinates (scaled to about unit spread), computed once per table."""
        key = ("svd", id(self))
        if key not in lots.cache:
            lots.cache[key] = 3.0 * self.svd.transform(self.vectors(lots))
        return lots.cache[key]  # type: ignore[return-value]


def ridge_design(a: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Rows for the per-buyer ridge: scaled pair attributes, latent text, an intercept."""
    scaled = np.c_[a[:, 0], a[:, 1], (a[:, 2] - 1) * 10, a[:, 3] - 2, np.minimum(a[:, 4], 2)]
    return np.c_[scaled, z, np.ones(len(a))]


def per_buyer_ridge(x: np.ndarray, t: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """β per buyer of the ridge t ≈ x·β over that buyer's rows (n × dims; zeros if none)."""
    d = x.shape[1]
    xtx = np.zeros((n, d, d))
    for i in range(d):
        for j in range(i, d):
            col = np.bincount(rows, weights=x[:, i] * x[:, j], minlength=n)
            xtx[:, i, j] = col
            xtx[:, j, i] = col
    xty = np.stack([np.bincount(rows, weights=x[:, i] * t, minlength=n) for i in range(d)], 1)
    xtx += RIDGE_LAMBDA * np.eye(d)
    return np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]


class History:
    """What exposures say about each buyer, and the market-wide rates (fitted once)."""

    def __init__(
        self,
        lots: LotTable,
        buyers: BuyerTable,
        exposures: Sequence[Exposure],
        space: TextSpace,
    ) -> None:
        self.space = space
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
        # revealed preferences: per buyer, sums of the pair attributes over shown and bid lots
        dist = haversine_km(buyers.lat[bi], buyers.lon[bi], lots.lat[li], lots.lon[li])
        a = pair_attributes(buyers, lots, bi, li, dist)
        self.attr_shown = np.zeros((nb, N_ATTR))
        self.attr_bid = np.zeros((nb, N_ATTR))
        np.add.at(self.attr_shown, bi, a)
        np.add.at(self.attr_bid, bi, a * y[:, None])
        # centred text profile: Σ (bid − buyer's rate) × TF-IDF row, over everything shown
        rate = (self.bids + PRIOR * self.market_rate) / (self.shown + PRIOR)
        resid = y - rate[bi]
        agg = sparse.csr_matrix((resid, (bi, np.arange(len(y)))), shape=(nb, len(y)))
        self.centred = (agg @ vec[li]).tocsr()
        self.buyer_rate = rate
        # per-buyer ridge on scaled attributes and latent text, target = bid − buyer's rate
        design = ridge_design(a, space.latent(lots)[li])
        self.ridge = per_buyer_ridge(design, resid, bi, nb)
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
        """The lots' TF-IDF rows (from the shared text space)."""
        return self.space.vectors(lots)

    def buyer_rows(self, buyers: BuyerTable) -> np.ndarray:
        """Row of each buyer of `buyers` in this history (-1 for a buyer never seen in fit)."""
        key = ("hrow", id(self))
        if key not in buyers.cache:
            buyers.cache[key] = np.array([self.buyer_pos.get(b, -1) for b in buyers.ids])
        return buyers.cache[key]  # type: ignore[return-value]


def pair_attributes(
    buyers: BuyerTable, lots: LotTable, bi: np.ndarray, li: np.ndarray, dist: np.ndarray
) -> np.ndarray:
    """The five pair attributes whose per-buyer weights differ (revealed from bids)."""
    maxc = buyers.max_contamination[bi]
    return np.c_[
        dist / np.maximum(buyers.radius[bi], 1e-9),
        (maxc - lots.contamination[li]) / np.maximum(maxc, 1e-9),
        lots.ask[li],
        lots.dql[li],
        lots.quantity[li] / np.maximum(buyers.capacity[bi], 1e-9),
    ]


def _rowdot(
    vec: sparse.csr_matrix, prof: sparse.csr_matrix, li: np.ndarray, hr: np.ndarray
) -> np.ndarray:
    """vec[li[i]] · prof[hr[i]] for every pair (0 where hr is -1).

    One buyer against many lots (every recommendation call) is a sparse mat-vec, over the
    whole table when most of it is wanted (fancy-indexing many sparse rows costs more);
    many buyers (training) multiply row by row.
    """
    out = np.zeros(len(li))
    ok = hr >= 0
    if not ok.any():
        return out
    first = hr[ok][0]
    if np.all(hr[ok] == first):
        row = prof[first].toarray().ravel()
        if ok.sum() * 8 > vec.shape[0]:
            out[ok] = (vec @ row)[li[ok]]
        else:
            out[ok] = vec[li[ok]] @ row
        return out
    out[ok] = np.asarray(vec[li[ok]].multiply(prof[hr[ok]]).sum(1)).ravel()
    return out


def _take(mat: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """mat[rows, cols] with 0 where either index is -1."""
    ok = (rows >= 0) & (cols >= 0)
    out = np.zeros(len(rows))
    out[ok] = mat[rows[ok], cols[ok]]
    return out


CHEAP = ("dist_over_radius", "cat_rate", "contamination_margin", "ask_ratio", "dql_margin",
         "quantity_over_capacity")  # fmt: skip


def cheap_features(
    hist: History, hist_rows: np.ndarray, buyers: BuyerTable, lots: LotTable, block: PairBlock
) -> np.ndarray:
    """The `CHEAP` columns of `pair_features` alone: no text, no per-buyer ridge.

    A first stage ranks tens of thousands of feasible lots on these and hands the best few
    thousand to the full features (same values, so one model fitted on the full matrix's
    columns serves).
    """
    bx, li = block.buyer_idx, block.lot_idx
    hr = hist_rows[bx]
    ci = hist.lot_cat(lots)[li]
    cat_mrate = np.where(ci >= 0, hist.cat_rate[np.maximum(ci, 0)], hist.market_rate)
    s_cat, b_cat = _take(hist.shown_cat, hr, ci), _take(hist.bids_cat, hr, ci)
    maxc = buyers.max_contamination[bx]
    return np.c_[
        block.dist_km / np.maximum(buyers.radius[bx], 1e-9),
        (b_cat + PRIOR * cat_mrate) / (s_cat + PRIOR),
        (maxc - lots.contamination[li]) / np.maximum(maxc, 1e-9),
        lots.ask[li],
        lots.dql[li] - buyers.min_dql[bx],
        lots.quantity[li] / np.maximum(buyers.capacity[bx], 1e-9),
    ]


def pair_features(
    hist: History,
    hist_rows: np.ndarray,
    buyers: BuyerTable,
    lots: LotTable,
    block: PairBlock,
    cold: np.ndarray | None = None,
) -> np.ndarray:
    """The feature matrix (len(pairs) × len(FEATURES)) for the pairs in `block`.

    `hist_rows[j]` is the history row of buyer j of `buyers` (or -1); `cold` marks rows to
    build as if the buyer had no history. Training rows must come from a history that does
    not contain them (the recommender uses out-of-fold histories).
    """
    n = len(block.lot_idx)
    bx, li = block.buyer_idx, block.lot_idx
    hr = hist_rows[bx].copy()
    if cold is not None:
        hr[cold] = -1
    ok = hr >= 0
    h0 = np.maximum(hr, 0)
    ci, pi = hist.lot_cat(lots)[li], hist.lot_proc(lots)[li]
    shown = np.where(ok, hist.shown[h0], 0.0)
    bids = np.where(ok, hist.bids[h0], 0.0)
    s_cat, b_cat = _take(hist.shown_cat, hr, ci), _take(hist.bids_cat, hr, ci)
    s_proc, b_proc = _take(hist.shown_proc, hr, pi), _take(hist.bids_proc, hr, pi)
    mrate = hist.market_rate
    cat_mrate = np.where(ci >= 0, hist.cat_rate[np.maximum(ci, 0)], mrate)
    b_rate = (bids + PRIOR * mrate) / (shown + PRIOR)
    breadth = buyers.breadth[bx]
    has = bids > 0
    cat_share = np.where(has, b_cat / np.maximum(bids, 1), 1.0 / breadth)
    proc_share = np.where(has, b_proc / np.maximum(bids, 1), 1.0 / max(len(hist.processes), 1))
    cat_rate = (b_cat + PRIOR * cat_mrate) / (s_cat + PRIOR)
    proc_rate = (b_proc + PRIOR * b_rate) / (s_proc + PRIOR)
    # text: cosine to the centroid of lots the buyer bid on, and the centred profile
    dot = _rowdot(hist.vectors(lots), hist.profile, li, hr)
    tpref = _rowdot(hist.vectors(lots), hist.centred, li, hr)
    psq = np.where(ok, hist.profile_sq[h0], 0.0)
    sim = np.where(psq > 1e-9, dot / np.sqrt(np.maximum(psq, 1e-9)), 0.0)
    tpref = tpref / (shown + PRIOR)
    # revealed preference contrasts: (mean over bids − mean over shown) × (x − mean shown)
    a = pair_attributes(buyers, lots, bx, li, block.dist_km)
    hs = np.where(ok[:, None], hist.attr_shown[h0], 0.0)
    hb = np.where(ok[:, None], hist.attr_bid[h0], 0.0)
    m_shown = np.where(shown[:, None] > 0, hs / np.maximum(shown, 1)[:, None], a)
    m_bid = (hb + PRIOR * m_shown) / (bids + PRIOR)[:, None]
    pref = (m_bid - m_shown) * (a - m_shown)
    ridge = np.zeros(n)
    if ok.any():
        design = ridge_design(a[ok], hist.space.latent(lots)[li[ok]])
        ridge[ok] = np.einsum("ij,ij->i", design, hist.ridge[hr[ok]])
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
        np.log1p(bids),
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
        tpref,
        pref,
        ridge,
    ]
