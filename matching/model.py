"""`Recommender`: the learned ranking over feasible pairs, in scikit-learn style.

- Features: `matching.features` (history shares and rates, TF-IDF similarity, quality and
  price margins, distance over radius, quantity over capacity).
- Model: `model="blend"` (default) averages `HistGradientBoostingClassifier` and the linear
  model (standardised features into `LogisticRegression`); `"hgb"` and `"logistic"` (the
  baseline) run alone. On the synthetic market the linear model ranks about as well as the
  boosting or better (the per-buyer features are mostly linear signals) and the blend keeps
  the boosting's wider coverage; see the README's figures.
- Exposure bias: inverse propensity weighting. The logging policy's propensity is estimated
  from the logs themselves as a function of distance over radius (the policy showed nearest
  lots first): the share of exposures in each decile of distance/radius over the share of all
  feasible (buyer, training lot) pairs in it. Weights are normalised to mean 1 and clipped to
  [0.2, 5] so a few far-away impressions cannot dominate.
- Calibration: the model is fitted on the earlier 80 % of exposures (by `shown_at`), and an
  isotonic map is fitted on its predictions of the later 20 %, unweighted, so the
  probabilities are those of the logs again after the IPW weights tilted them. Ranking uses
  the calibrated probability with the raw score as tie-break (isotonic maps are steps).
- Re-rank: `matching.rerank` with sellers' (or buyers') share of past exposures; across
  buyers (`recommend_lots_many`, the daily digest) a lot already in other lists is discounted
  by `coverage_penalty` (0.07, chosen on development seeds 4–8) for catalogue coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from matching.feasibility import BuyerTable, LotTable, feasible_lots, haversine_km
from matching.features import (
    CHEAP,
    FEATURES,
    History,
    PairBlock,
    TextSpace,
    cheap_features,
    pair_features,
)
from matching.reasons import Facts, explain
from matching.rerank import exposure_discount, rerank
from matching.types import Buyer, Exposure, Lot, MatchingError, Recommendation

FORMAT_VERSION = 1
IPW_BINS = 10
IPW_BUYERS = 300  # buyers sampled to estimate the share of feasible pairs per decile
LINEAR_ROWS = 200_000  # the linear stages learn from at most this many rows
# OpenMP threads spin-wait: on a busy 2-core machine a small prediction spread over threads
# takes 100× longer than on one. Small batches (every recommendation call) and small fits run
# on one thread; only large fits use every core.
_THREADS = ThreadpoolController()
ONE_THREAD_BELOW = 200_000
N_FOLDS = 5  # out-of-fold histories for the training rows' features
STAGE0 = 3000  # beyond this many feasible lots, the cheap features pick the candidates first
PRESELECT = 300  # beyond this many feasible lots, a linear first stage picks whom HGB scores


def _check_k(k: object) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        raise MatchingError("k", "must be a positive integer")
    return k


def _lot_table(candidate_lots: Sequence[Lot] | LotTable) -> LotTable:
    lots = candidate_lots if isinstance(candidate_lots, LotTable) else LotTable(candidate_lots)
    if not len(lots):
        raise MatchingError("candidate_lots", "no candidate lots given")
    return lots


class Calibrator:
    """Isotonic on a large held-out set, Platt scaling (logistic on the logit) on a small one:
    an isotonic step function fitted on a few thousand rows is noisier than the error it fixes.
    """

    ISOTONIC_FROM = 5000

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        """Learn the map from raw scores to observed bid rates."""
        if len(raw) >= self.ISOTONIC_FROM:
            self.iso_ = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(raw, y)
            self.platt_ = None
        else:
            self.iso_ = None
            self.platt_ = LogisticRegression(C=100.0).fit(self._logit(raw), y)
        return self

    @staticmethod
    def _logit(p: np.ndarray) -> np.ndarray:
        q = np.clip(p, 1e-4, 1 - 1e-4)
        return np.log(q / (1 - q))[:, None]

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        if self.iso_ is not None:
            return self.iso_.predict(raw)
        return self.platt_.predict_proba(self._logit(raw))[:, 1]  # type: ignore[union-attr]


class Recommender:
    """Ranks feasible lots for a buyer and feasible buyers for a lot by calibrated P(bid)."""

    def __init__(
        self,
        model: str = "blend",
        *,
        calibrate: bool = True,
        ipw: bool = True,
        rerank: bool = True,
        history_dropout: float = 0.15,
        seller_penalty: float = 0.02,
        same_seller_decay: float = 0.95,
        buyer_boost: float = 0.05,
        coverage_penalty: float = 0.07,
        max_iter: int = 200,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        learning_rate: float = 0.1,
        text_ngrams: tuple[int, int] = (1, 2),
        max_bins: int = 255,
        random_state: int = 0,
    ) -> None:
        if model not in ("hgb", "logistic", "blend"):
            raise MatchingError("model", "must be 'hgb', 'logistic' or 'blend'")
        self.model = model
        self.calibrate = calibrate
        self.ipw = ipw
        self.rerank = rerank
        self.history_dropout = history_dropout
        self.seller_penalty = seller_penalty
        self.same_seller_decay = same_seller_decay
        self.buyer_boost = buyer_boost
        self.coverage_penalty = coverage_penalty
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.learning_rate = learning_rate
        self.text_ngrams = text_ngrams
        self.max_bins = max_bins
        self.random_state = random_state
        self.fitted_ = False

    # -- training -------------------------------------------------------------------------
    def fit(
        self, lots: Sequence[Lot], buyers: Sequence[Buyer], exposures: Sequence[Exposure]
    ) -> Recommender:
        """Learn from logged exposures of `lots` to `buyers`; returns self."""
        if not exposures:
            raise MatchingError("exposures", "nothing to learn from: no exposures")
        lot_t, buy_t = LotTable(lots), BuyerTable(buyers)
        for e in exposures:
            if e.lot_id not in lot_t.pos:
                raise MatchingError("exposures", f"unknown lot id {e.lot_id!r}")
            if e.buyer_id not in buy_t.pos:
                raise MatchingError("exposures", f"unknown buyer id {e.buyer_id!r}")
        y = np.array([e.bid for e in exposures], dtype=float)
        if y.min() == y.max():
            raise MatchingError("exposures", "need both bids and non-bids to learn from")
        space = TextSpace(lot_t, self.text_ngrams, self.random_state)
        hist = History(lot_t, buy_t, exposures, space)
        bi, li, _ = hist.train
        dist = haversine_km(buy_t.lat[bi], buy_t.lon[bi], lot_t.lat[li], lot_t.lon[li])
        rng = np.random.default_rng(self.random_state)
        cold = rng.random(len(y)) < self.history_dropout
        folds = rng.integers(0, N_FOLDS, len(y))
        x = np.zeros((len(y), len(FEATURES)))
        for f in range(N_FOLDS):
            out = folds == f
            rest = [e for e, o in zip(exposures, out, strict=True) if not o]
            h = History(lot_t, buy_t, rest, space) if rest else hist
            block = PairBlock(bi[out], li[out], dist[out])
            x[out] = pair_features(h, h.buyer_rows(buy_t), buy_t, lot_t, block, cold[out])
            buy_t.cache.clear()
        w = self._ipw_weights(lot_t, buy_t, dist / np.maximum(buy_t.radius[bi], 1e-9))
        when = np.array([e.shown_at.timestamp() if e.shown_at else i
                         for i, e in enumerate(exposures)])  # fmt: skip
        order = np.argsort(when, kind="stable")
        cut = int(len(order) * 0.8) if self.calibrate else len(order)
        tr, ca = order[:cut], order[cut:]
        if self.calibrate and (len(ca) < 20 or y[ca].min() == y[ca].max()):
            tr, ca = order, order[:0]
        # the model learns on the earlier exposures; an isotonic map fitted on its predictions
        # of the later ones calibrates it (no refit: the map belongs to this very model)
        self.estimator_ = self._fit_estimator(x[tr], y[tr], w[tr])
        cheap = [FEATURES.index(c) for c in CHEAP]
        self.stage0_ = self._fit_linear(x[tr][:, cheap], y[tr], w[tr])
        self.stage1_ = (self.estimator_ if self.model == "logistic"
                        else self._fit_linear(x[tr], y[tr], w[tr]))  # fmt: skip
        self.calibrator_ = None
        if len(ca):
            self.calibrator_ = Calibrator().fit(self._raw(x[ca]), y[ca])
        self.history_ = hist
        sellers = np.array([lot_t.seller[i] for i in li])
        self.seller_pop_ = self._popularity(sellers)
        self.buyer_pop_ = self._popularity(np.array([buy_t.ids[i] for i in bi]))
        self.fitted_ = True
        return self

    def _fit_linear(self, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> object:
        if len(x) > LINEAR_ROWS and self.model != "logistic":  # a first stage needs no more
            pick = np.random.default_rng(self.random_state).choice(len(x), LINEAR_ROWS, False)
            x, y, w = x[pick], y[pick], w[pick]
        lr = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        return lr.fit(x, y, logisticregression__sample_weight=w)

    def _fit_estimator(self, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> object:
        if self.model == "logistic":
            return self._fit_linear(x, y, w)
        hgb = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_bins=self.max_bins,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=self.random_state,
        )
        if len(x) < ONE_THREAD_BELOW:
            with _THREADS.limit(limits=1, user_api="openmp"):
                return hgb.fit(x, y, sample_weight=w)
        return hgb.fit(x, y, sample_weight=w)

    def _ipw_weights(self, lots: LotTable, buyers: BuyerTable, shown_dr: np.ndarray):
        """1 / estimated propensity by distance/radius decile (see the module docstring)."""
        if not self.ipw:
            return np.ones(len(shown_dr))
        feas = []
        rng = np.random.default_rng(self.random_state)
        sample = rng.permutation(len(buyers))[:IPW_BUYERS]  # the shares settle long before
        for b in (buyers.buyers[i] for i in sample):
            _, d = feasible_lots(b, lots)
            feas.append(d / max(b.radius_km, 1e-9))
        all_dr = np.concatenate(feas) if feas else np.array([])
        edges = np.linspace(0, 1, IPW_BINS + 1)
        shown_h = np.histogram(np.clip(shown_dr, 0, 1), edges)[0] / max(len(shown_dr), 1)
        all_h = np.histogram(np.clip(all_dr, 0, 1), edges)[0] / max(len(all_dr), 1)
        ratio = np.where(shown_h > 0, all_h / np.maximum(shown_h, 1e-12), 1.0)
        b = np.clip(np.digitize(np.clip(shown_dr, 0, 1), edges[1:-1]), 0, IPW_BINS - 1)
        w = ratio[b]
        w = w / w.mean()
        return np.clip(w, 0.2, 5.0)

    @staticmethod
    def _popularity(groups: np.ndarray) -> dict[str, float]:
        """Each group's exposure count on a log scale in [0, 1]."""
        names, counts = np.unique(groups, return_counts=True)
        scale = np.log1p(counts.max()) if len(counts) else 1.0
        return {str(n): float(np.log1p(c) / scale) for n, c in zip(names, counts, strict=True)}

    # -- scoring --------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise MatchingError("model", "the recommender is not fitted")

    def _raw(self, x: np.ndarray) -> np.ndarray:
        """The model's probability; `blend` averages the boosting and the linear model."""
        if self.model == "blend":
            return 0.5 * (self._raw_of(self.estimator_, x) + self._raw_of(self.stage1_, x))
        return self._raw_of(self.estimator_, x)

    @staticmethod
    def _raw_of(estimator: object, x: np.ndarray) -> np.ndarray:
        if len(x) < ONE_THREAD_BELOW:
            with _THREADS.limit(limits=1, user_api="openmp"):
                return estimator.predict_proba(x)[:, 1]  # type: ignore[attr-defined]
        return estimator.predict_proba(x)[:, 1]  # type: ignore[attr-defined]

    def _proba(self, x: np.ndarray, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray]:
        raw = self._raw(x)
        use = calibrated and self.calibrator_ is not None
        cal = self.calibrator_.predict(raw) if use else raw  # type: ignore[union-attr]
        # an isotonic step fitted on a handful of top scores can say 0 or 1; no bid is certain
        return np.clip(cal, 1e-3, 1 - 1e-3), raw

    def _score_block(self, buyers: BuyerTable, lots: LotTable, block: PairBlock, k: int = 0):
        """Features, calibrated P(bid) and ranking keys of the pairs in `block`.

        With `k`, only the best max(PRESELECT, 4k) by the linear first stage are scored by the
        model (the others get P = 0 and key −∞): a buyer with 80 km of radius in a dense
        cluster has tens of thousands of feasible lots, and boosting them all takes seconds.
        """
        hist = self.history_
        x = pair_features(hist, hist.buyer_rows(buyers), buyers, lots, block)
        m = max(PRESELECT, 4 * k)
        if not k or len(x) <= m:
            p, raw = self._proba(x)
            return x, p, p + 1e-4 * raw
        first = self.stage1_.decision_function(x)  # type: ignore[attr-defined]
        top = np.argpartition(-first, m - 1)[:m]
        p, key = np.zeros(len(x)), np.full(len(x), -np.inf)
        p[top], raw = self._proba(x[top])
        key[top] = p[top] + 1e-4 * raw
        return x, p, key

    def _stage0(self, buyers: BuyerTable, lots: LotTable, idx: np.ndarray, dist: np.ndarray):
        """The STAGE0 best of many feasible lots for one buyer by the cheap linear stage."""
        block = PairBlock(np.zeros(len(idx), dtype=np.int64), idx, dist)
        c = cheap_features(self.history_, self.history_.buyer_rows(buyers), buyers, lots, block)
        s0 = self.stage0_.decision_function(c)  # type: ignore[attr-defined]
        keep = np.argpartition(-s0, STAGE0 - 1)[:STAGE0]
        return idx[keep], dist[keep]

    def index_lots(self, lots: Sequence[Lot]) -> LotTable:
        """Column form of many open lots, to pass as `candidate_lots` again and again."""
        return LotTable(lots)

    def index_buyers(self, buyers: Sequence[Buyer]) -> BuyerTable:
        """Column form of many recyclers, to pass as `candidate_buyers` again and again."""
        return BuyerTable(buyers)

    def _facts(self, x_row: np.ndarray, hrow: int, lots: LotTable, j: int, buyer: Buyer,
               dist: float) -> Facts:  # fmt: skip
        hist = self.history_
        ci = hist.cat_pos.get(lots.category[j], -1)
        n = int(hist.bids_cat[hrow, ci]) if hrow >= 0 and ci >= 0 else 0
        return Facts(
            dist_km=dist,
            radius_km=buyer.radius_km,
            category=lots.category[j],
            bids_in_category=n,
            text_sim=float(x_row[9]),
            contamination_pct=float(lots.contamination[j]),
            max_contamination_pct=buyer.max_contamination_pct,
            ask_ratio=float(lots.ask[j]),
            dql=int(lots.dql[j]),
            quantity_t=float(lots.quantity[j]),
            capacity_t=buyer.capacity_t,
            has_history=hrow >= 0 and hist.bids[hrow] > 0,
        )

    def recommend_lots(
        self, buyer: Buyer, candidate_lots: Sequence[Lot] | LotTable, k: int = 10
    ) -> list[Recommendation]:
        """The top `k` feasible lots for `buyer`, best first, each with its reasons."""
        self._require_fitted()
        k = _check_k(k)
        return self._lots_for(buyer, _lot_table(candidate_lots), k, None)

    def recommend_lots_many(self, buyers: Sequence[Buyer], candidate_lots: Sequence[Lot] |
                            LotTable, k: int = 10, *, coverage_penalty: float | None = None,
                            ) -> list[list[Recommendation]]:  # fmt: skip
        """Lists for many buyers at once (a daily digest), one per buyer in the given order.

        One buyer's list cannot see the others', so all get the same few strong lots and much
        of the catalogue is never shown. Here buyers are served in turn and a lot's key is
        divided by `1 + penalty × √(lists it is already in)` for the next ones
        (`rerank.exposure_discount`): a lot in many lists yields to a nearly as good one
        nobody saw. Penalty 0 is `recommend_lots` per buyer; default `coverage_penalty`."""
        self._require_fitted()
        k = _check_k(k)
        lam = (
            getattr(self, "coverage_penalty", 0.0) if coverage_penalty is None else coverage_penalty
        )
        if not isinstance(lam, int | float) or not lam >= 0:
            raise MatchingError("coverage_penalty", "must be a number ≥ 0")
        lots = _lot_table(candidate_lots)
        shown = np.zeros(len(lots))
        out = []
        for buyer in buyers:
            recs = self._lots_for(buyer, lots, k, exposure_discount(shown, lam) if lam else None)
            shown[[lots.pos[r.id] for r in recs]] += 1
            out.append(recs)
        return out

    def _lots_for(
        self, buyer: Buyer, lots: LotTable, k: int, discount: np.ndarray | None
    ) -> list[Recommendation]:
        """One buyer's list; `discount[j]` (if given) multiplies candidate j's ranking key."""
        if not isinstance(buyer, Buyer):
            raise MatchingError("buyer", "must be a matching.Buyer")
        idx, dist = feasible_lots(buyer, lots)
        if not len(idx):
            return []
        buyers = BuyerTable([buyer])
        if len(idx) > STAGE0 and 4 * k < STAGE0:
            idx, dist = self._stage0(buyers, lots, idx, dist)
        block = PairBlock(np.zeros(len(idx), dtype=np.int64), idx, dist)
        x, p, key = self._score_block(buyers, lots, block, k)
        live = np.flatnonzero(np.isfinite(key))  # the first stage's choice
        if discount is not None:
            key[live] *= discount[idx[live]]
        if self.rerank:
            key_ = ("seller_pop", id(self))
            if key_ not in lots.cache:
                lots.cache[key_] = np.array(
                    [self.seller_pop_.get(str(s), 0.0) for s in lots.seller_names]
                )
            codes = lots.seller_code[idx[live]]
            pop = lots.cache[key_][codes]  # type: ignore[index]
            order = live[rerank(key[live], codes, pop, k, penalty=self.seller_penalty,
                                decay=self.same_seller_decay)]  # fmt: skip
        else:
            order = live[np.argsort(-key[live], kind="stable")[:k]]
        hrow = int(self.history_.buyer_rows(buyers)[0])
        return [
            Recommendation(
                lots.ids[idx[o]],
                float(p[o]),
                explain(self._facts(x[o], hrow, lots, idx[o], buyer, float(dist[o])), "lot"),
            )
            for o in order
        ]

    def recommend_buyers(
        self, lot: Lot, candidate_buyers: Sequence[Buyer] | BuyerTable, k: int = 10
    ) -> list[Recommendation]:
        """The top `k` buyers that may take `lot`, most likely bidder first, with reasons."""
        self._require_fitted()
        k = _check_k(k)
        if not isinstance(lot, Lot):
            raise MatchingError("lot", "must be a matching.Lot")
        buyers = (candidate_buyers if isinstance(candidate_buyers, BuyerTable)
                  else BuyerTable(candidate_buyers))  # fmt: skip
        if not len(buyers):
            raise MatchingError("candidate_buyers", "no candidate buyers given")
        idx, dist = buyers.feasible_for(lot)
        if not len(idx):
            return []
        lots = LotTable([lot])
        block = PairBlock(idx, np.zeros(len(idx), dtype=np.int64), dist)
        x, p, key = self._score_block(buyers, lots, block)
        if self.rerank:
            ids = np.array([buyers.ids[i] for i in idx])
            pop = np.array([self.buyer_pop_.get(b, 0.0) for b in ids])
            order = rerank(key * (1 + self.buyer_boost * (1 - pop)), ids, np.zeros(len(ids)),
                           k, penalty=0.0, decay=1.0)  # fmt: skip
        else:
            order = np.argsort(-key, kind="stable")[:k]
        rows = self.history_.buyer_rows(buyers)
        out = []
        for o in order:
            b = buyers.buyers[idx[o]]
            facts = self._facts(x[o], int(rows[idx[o]]), lots, 0, b, float(dist[o]))
            out.append(Recommendation(b.id, float(p[o]), explain(facts, "buyer")))
        return out

    def predict_bid_proba(
        self, pairs: Sequence[tuple[Buyer, Lot]], *, calibrated: bool = True
    ) -> np.ndarray:
        """Calibrated P(bid) for each (buyer, lot) pair; 0 for a pair that is not feasible.

        `calibrated=False` gives the model's raw probabilities (to measure what calibration
        adds)."""
        self._require_fitted()
        if not pairs:
            return np.zeros(0)
        ub = {b.id: b for b, _ in pairs}
        ul = {lot.id: lot for _, lot in pairs}
        buyers, lots = BuyerTable(list(ub.values())), LotTable(list(ul.values()))
        bi = np.array([buyers.pos[b.id] for b, _ in pairs])
        li = np.array([lots.pos[lot.id] for _, lot in pairs])
        dist = haversine_km(buyers.lat[bi], buyers.lon[bi], lots.lat[li], lots.lon[li])
        hist = self.history_
        x = pair_features(hist, hist.buyer_rows(buyers), buyers, lots, PairBlock(bi, li, dist))
        p, _ = self._proba(x, calibrated)
        feasible = np.zeros(len(pairs), dtype=bool)
        for j, b in enumerate(buyers.buyers):
            fi, _ = feasible_lots(b, lots)
            mine = bi == j
            feasible[mine] = np.isin(li[mine], fi)
        return np.where(feasible, p, 0.0)

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the fitted model with the library's format version and sklearn's version."""
        self._require_fitted()
        payload = {"format": FORMAT_VERSION, "sklearn": sklearn.__version__, "model": self}
        joblib.dump(payload, path, compress=3)

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model written by `save`; refuses another format or scikit-learn version."""
        try:
            payload = joblib.load(path)
        except FileNotFoundError:
            raise MatchingError("path", f"no model file at {path}") from None
        except Exception as exc:  # a truncated or foreign file: say so, never crash a page
            raise MatchingError("path", f"not a recommender model file ({exc})") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("model"), cls):
            raise MatchingError("path", "not a recommender model file")
        if payload.get("format") != FORMAT_VERSION:
            raise MatchingError(
                "path", f"model format {payload.get('format')} ≠ {FORMAT_VERSION}; retrain"
            )
        if payload.get("sklearn") != sklearn.__version__:
            raise MatchingError(
                "path", f"model from scikit-learn {payload.get('sklearn')}; retrain"
            )
        return payload["model"]
