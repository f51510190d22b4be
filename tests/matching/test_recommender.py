"""The recommender's behaviour: reasons, cold start, save/load, bad input, re-rank, features."""

from __future__ import annotations

import dataclasses
import re

import joblib
import numpy as np
import pytest

from matching import Buyer, Lot, MatchingError, Recommender, is_feasible
from matching.evaluate import gini
from matching.features import FEATURES, PairBlock, pair_features
from matching.synthetic import Market

HAN = re.compile(r"[\u4e00-\u9fff]")


def warm_buyer(market: Market) -> Buyer:
    bids: dict[str, int] = {}
    for e in market.exposures:
        bids[e.buyer_id] = bids.get(e.buyer_id, 0) + e.bid
    best = max(bids, key=bids.__getitem__)
    return next(b for b in market.buyers if b.id == best)


def reason_category(reason: object) -> str:
    """The category name a reason quotes (category names stay Chinese in English text)."""
    return str(dict(reason.params).get("category", ""))  # type: ignore[attr-defined]


def test_recommend_lots_ranked_feasible_with_reasons(market: Market, fitted: Recommender) -> None:
    buyer = warm_buyer(market)
    recs = fitted.recommend_lots(buyer, market.test_lots, k=10)
    assert 0 < len(recs) <= 10
    lots = {lot.id: lot for lot in market.test_lots}
    assert all(is_feasible(buyer, lots[r.id]) for r in recs)
    assert all(0.0 <= r.score <= 1.0 for r in recs)
    rid, score, _reasons = recs[0]  # unpacks as (id, score, reasons)
    assert rid == recs[0].id
    assert score == recs[0].score
    for r in recs:
        assert 1 <= len(r.reasons) <= 3
        for reason in r.reasons:
            assert HAN.search(reason.zh)
            assert reason.en
            assert not HAN.search(reason.en.replace(reason_category(reason), ""))
    codes = {reason.code for r in recs for reason in r.reasons}
    assert "distance" in codes or "history_category" in codes


def test_reason_text_says_distance_and_history_in_words() -> None:
    from matching.reasons import Facts, explain

    facts = Facts(12.4, 50, "废纸箱", 9, 0.8, 1.0, 8, 0.95, 3, 20, 30, True)
    zh = [r.zh for r in explain(facts, "lot")]
    en = [r.en for r in explain(facts, "lot")]
    assert "12 km，在您 50 km 的收运半径内" in zh
    assert "12 km, within your 50 km radius" in en
    assert "您曾对 9 个类似的废纸箱批次出价" in zh
    assert "you bid on 9 similar 废纸箱 lots" in en
    other = explain(facts, "buyer")
    assert other[0].zh.startswith("相距 12 km") or any("对方" in r.zh for r in other)
    cold = dataclasses.replace(facts, bids_in_category=0, has_history=False, text_sim=0.0)
    assert any(r.code == "declared_scope" for r in explain(cold, "lot"))
    with pytest.raises(ValueError, match="view"):
        explain(facts, "seller")


def test_cold_start_buyer_gets_feasible_profile_based_lots(
    market: Market, fitted: Recommender
) -> None:
    base = warm_buyer(market)
    stranger = dataclasses.replace(base, id="never-seen")  # not in fit at all
    recs = fitted.recommend_lots(stranger, market.test_lots, k=10)
    assert recs
    lots = {lot.id: lot for lot in market.test_lots}
    assert all(is_feasible(stranger, lots[r.id]) for r in recs)
    assert all(r.code != "history_category" for x in recs for r in x.reasons)
    assert any(r.code == "declared_scope" for x in recs for r in x.reasons)


def test_recommend_buyers_for_a_lot(market: Market, fitted: Recommender) -> None:
    lot = next(
        lot for lot in market.test_lots if sum(is_feasible(b, lot) for b in market.buyers) >= 3
    )
    recs = fitted.recommend_buyers(lot, market.buyers, k=5)
    buyers = {b.id: b for b in market.buyers}
    assert 1 <= len(recs) <= 5
    assert all(is_feasible(buyers[r.id], lot) for r in recs)
    # told to the producer: about "them" (对方), never "you" (您)
    assert all(
        "您" not in reason.zh and "your" not in reason.en for r in recs for reason in r.reasons
    )
    assert any("对方" in reason.zh for r in recs for reason in r.reasons)


def test_predict_bid_proba_is_zero_for_infeasible(market: Market, fitted: Recommender) -> None:
    buyer = warm_buyer(market)
    far = dataclasses.replace(market.test_lots[0], id="far", lat=40.0, lon=116.4)
    pairs = [(buyer, lot) for lot in market.test_lots[:50]] + [(buyer, far)]
    p = fitted.predict_bid_proba(pairs)
    assert p.shape == (51,)
    assert p[-1] == 0.0
    feas = np.array([is_feasible(b, lot) for b, lot in pairs])
    assert np.all(p[~feas] == 0)
    assert np.all((p[feas] > 0) & (p[feas] < 1))


def test_save_load_round_trip_and_version_check(
    market: Market, fitted: Recommender, tmp_path
) -> None:
    path = tmp_path / "model.joblib"
    fitted.save(path)
    again = Recommender.load(path)
    pairs = [(b, lot) for b in market.buyers[:10] for lot in market.test_lots[:40]]
    assert np.array_equal(fitted.predict_bid_proba(pairs), again.predict_bid_proba(pairs))
    buyer = warm_buyer(market)
    a = fitted.recommend_lots(buyer, market.test_lots, 10)
    b = again.recommend_lots(buyer, market.test_lots, 10)
    assert a == b
    payload = joblib.load(path)
    payload["format"] = 0
    joblib.dump(payload, tmp_path / "old.joblib")
    with pytest.raises(MatchingError, match="format") as err:
        Recommender.load(tmp_path / "old.joblib")
    assert err.value.field == "path"
    (tmp_path / "junk.joblib").write_bytes(b"not a model")
    with pytest.raises(MatchingError, match="not a recommender model"):
        Recommender.load(tmp_path / "junk.joblib")
    with pytest.raises(MatchingError, match="no model file"):
        Recommender.load(tmp_path / "missing.joblib")


def test_bad_input_is_refused_with_the_field(market: Market, fitted: Recommender) -> None:
    buyer = warm_buyer(market)
    for k in (0, -1, 2.5, True):
        with pytest.raises(MatchingError) as err:
            fitted.recommend_lots(buyer, market.test_lots, k=k)  # type: ignore[arg-type]
        assert err.value.field == "k"
    with pytest.raises(MatchingError) as err:
        fitted.recommend_lots(buyer, [], k=5)
    assert err.value.field == "candidate_lots"
    with pytest.raises(MatchingError) as err:
        fitted.recommend_buyers(market.test_lots[0], [], k=5)
    assert err.value.field == "candidate_buyers"
    with pytest.raises(MatchingError) as err:
        Buyer("b", 23, 113, frozenset())  # a buyer with no licence
    assert err.value.field == "permitted_categories"
    with pytest.raises(MatchingError) as err:
        Lot("x", "废钢", "打包", 23, 113, -1, 1, 1, 1, 1.0)
    assert err.value.field == "quantity_t"
    bad = [*market.exposures[:5], dataclasses.replace(market.exposures[0], lot_id="nope")]
    with pytest.raises(MatchingError, match="unknown lot id") as err:
        Recommender().fit(market.lots, market.buyers, bad)
    assert err.value.field == "exposures"
    with pytest.raises(MatchingError) as err:
        Recommender().recommend_lots(buyer, market.test_lots, 5)
    assert err.value.field == "model"
    with pytest.raises(MatchingError):
        Recommender().fit(market.lots, market.buyers, [])


def test_rerank_lowers_seller_gini(market: Market, fitted: Recommender) -> None:
    table = fitted.index_lots(market.test_lots)
    sellers = {lot.id: lot.seller for lot in market.test_lots}

    def seller_gini() -> float:
        counts = dict.fromkeys(sellers.values(), 0)
        for b in market.buyers:
            for r in fitted.recommend_lots(b, table, 10):
                counts[sellers[r.id]] += 1
        return gini(counts.values())

    fitted.rerank = False
    try:
        without = seller_gini()
    finally:
        fitted.rerank = True
    assert seller_gini() < without


def test_features_mean_what_they_say(market: Market, fitted: Recommender) -> None:
    hist = fitted.history_
    buyer = warm_buyer(market)
    from matching import BuyerTable, LotTable

    lots, buyers = LotTable(market.test_lots), BuyerTable([buyer])
    idx = np.arange(len(lots))
    from matching.feasibility import haversine_km

    d = haversine_km(buyer.lat, buyer.lon, lots.lat, lots.lon)
    block = PairBlock(np.zeros(len(idx), dtype=np.int64), idx, d)
    x = pair_features(hist, hist.buyer_rows(buyers), buyers, lots, block)
    assert x.shape == (len(lots), len(FEATURES))
    col = {name: i for i, name in enumerate(FEATURES)}
    assert np.allclose(x[:, col["dist_over_radius"]], d / buyer.radius_km)
    row = hist.buyer_pos[buyer.id]
    cat = lots.category[0]
    share = hist.bids_cat[row, hist.cat_pos[cat]] / hist.bids[row]
    assert x[0, col["cat_share"]] == pytest.approx(share)
    assert x[0, col["has_history"]] == 1.0
    cold = pair_features(
        hist, hist.buyer_rows(buyers), buyers, lots, block, np.ones(len(idx), bool)
    )
    assert np.all(cold[:, col["has_history"]] == 0)
    assert np.allclose(cold[:, col["cat_share"]], 1 / len(buyer.permitted_categories))
    # a lot described exactly like the buyer's bids is the most similar one
    bid_ids = {e.lot_id for e in market.exposures if e.buyer_id == buyer.id and e.bid}
    bid_texts = [lot.text for lot in market.lots if lot.id in bid_ids]
    same = dataclasses.replace(
        market.test_lots[0], id="same", text=max(set(bid_texts), key=bid_texts.count)
    )
    other = dataclasses.replace(market.test_lots[0], id="other", text="玻璃 散装 彩色")
    two = LotTable([same, other])
    blk = PairBlock(np.zeros(2, dtype=np.int64), np.arange(2), np.zeros(2))
    sims = pair_features(hist, hist.buyer_rows(buyers), buyers, two, blk)[:, col["text_sim"]]
    assert sims[0] > sims[1]


def test_a_tiny_market_fits_and_recommends() -> None:
    """Three identical-text lots and two buyers: every model kind still fits and answers."""
    from datetime import UTC, datetime

    from matching import Exposure

    t = datetime(2026, 1, 1, tzinfo=UTC)
    lots = [Lot(f"L{i}", "废钢", "打包", 23.0, 113.7 + i * 0.01, 5, 1, 5, 2, 1.0, (), t)
            for i in range(3)]  # fmt: skip
    buyers = [Buyer("B1", 23.0, 113.7, {"废钢"}), Buyer("B2", 23.01, 113.7, {"废钢", "铜屑"})]
    ex = [Exposure("B1", "L0", t, True), Exposure("B1", "L1", t, False),
          Exposure("B2", "L2", t, True), Exposure("B2", "L0", t, False)]  # fmt: skip
    for kind in ("blend", "hgb", "logistic"):
        rec = Recommender(model=kind).fit(lots, buyers, ex)
        assert {r.id for r in rec.recommend_lots(buyers[0], lots, 3)} == {"L0", "L1", "L2"}
        assert rec.recommend_buyers(lots[0], buyers, 1)[0].id in {"B1", "B2"}
        reasons = rec.recommend_lots(buyers[0], lots, 1)[0].reasons
        assert all(r.code != "clean" for r in reasons)  # no tolerance declared: nothing to say
    with pytest.raises(MatchingError) as err:
        Recommender(model="forest")
    assert err.value.field == "model"
