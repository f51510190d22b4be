"""The API: cold-start fallback, bad input, the model's lists, impressions with the version."""

import io

import joblib
import pytest

from core.db import db
from core.time import utcnow
from marketplace.recommend import services, training
from marketplace.recommend.models import ModelVersion
from tests.marketplace.recommend.conftest import impressions, list_lots

LOTS = "/api/v1/recommendations/lots"


def buyers_of(lot):
    return f"/api/v1/lots/{lot['id']}/recommended-buyers"


def train_now():
    row = training.train(utcnow(), lambda *a, **k: None)
    db.session.commit()
    return row


def test_cold_start_falls_back_to_feasible_and_nearest(client, producer, paper, near_only, metal):
    (lot,) = list_lots(client, producer, 1)
    got = client.get(buyers_of(lot), headers=producer.headers)
    assert got.status_code == 200, got.json
    body = got.json
    assert body["method"] == "fallback"
    assert body["model_version"] is None
    assert "尚未训练推荐模型" in body["note"]
    ids = [i["organization_id"] for i in body["items"]]
    # the 10 km recycler and the metal recycler cannot take the lot; nearest first
    assert ids == [u.organization_id for u in sorted(paper, key=lambda u: -u.organization_id)]
    assert all(i["score"] is None for i in body["items"])
    assert body["items"][0]["reasons"][0]["code"] == "fallback"
    assert "收运半径内" in body["items"][0]["reasons"][1]["text"]
    shown = impressions(surface="lot-page")
    assert [s.method for s in shown] == ["fallback"] * 3
    assert all(s.model_version_id is None for s in shown)


def test_lots_for_a_recycler_are_recorded_as_shown(client, producer, paper):
    lots = list_lots(client, producer, 3)
    got = client.get(f"{LOTS}?k=2", headers=paper[0].headers)
    assert got.status_code == 200, got.json
    assert len(got.json["items"]) == 2
    assert {i["lot_id"] for i in got.json["items"]} <= {lot["id"] for lot in lots}
    shown = impressions(surface="api", buyer_org_id=paper[0].organization_id)
    assert [s.lot_id for s in shown] == [i["lot_id"] for i in got.json["items"]]
    assert [s.position for s in shown] == [0, 1]
    assert [i["impression_id"] for i in got.json["items"]] == [s.id for s in shown]


@pytest.mark.parametrize("k", ["0", "-3", "51", "x", "1.5"])
def test_bad_k_is_a_422_naming_k(client, paper, k):
    got = client.get(f"{LOTS}?k={k}", headers=paper[0].headers)
    assert got.status_code == 422
    assert "k" in got.json["error"]["fields"]


def test_unknown_or_foreign_lot_is_404(client, producer, paper):
    (lot,) = list_lots(client, producer, 1)
    assert client.get(buyers_of({"id": 999_999}), headers=producer.headers).status_code == 404
    other = client.get(buyers_of(lot), headers=paper[0].headers)
    assert other.status_code == 403  # recyclers do not sell: the route is not theirs


def test_a_recycler_without_licence_gets_a_clear_422(client, producer, unlicensed):
    list_lots(client, producer, 1)
    got = client.get(LOTS, headers=unlicensed.headers)
    assert got.status_code == 422
    assert got.json["error"]["fields"] == {"licence": "no recycler licence scope on file"}


def test_producers_cannot_ask_for_lots(client, producer):
    assert client.get(LOTS, headers=producer.headers).status_code == 403


def test_trained_model_ranks_and_every_impression_names_its_version(
    client, producer, paper, history
):
    row = train_now()
    assert row.active
    assert row.version == 1
    new = list_lots(client, producer, 2)
    got = client.get(f"{LOTS}?k=4", headers=paper[0].headers).json
    assert got["method"] == "model"
    assert got["model_version"] == 1
    bid_on = {lot["id"] for lot in history[::2]}
    assert len(got["items"]) == 4
    assert not {i["lot_id"] for i in got["items"]} & bid_on  # lots it already bid on are left out
    assert all(0 < i["score"] < 1 and i["reasons"] for i in got["items"])
    assert all(r["text"] for i in got["items"] for r in i["reasons"])
    shown = impressions(surface="api")
    assert {s.model_version_id for s in shown} == {row.id}
    assert {s.method for s in shown} == {"model"}
    buyers = client.get(buyers_of(new[0]), headers=producer.headers).json
    assert buyers["method"] == "model"
    assert {i["organization_id"] for i in buyers["items"]} == {u.organization_id for u in paper}


def test_english_reasons(client, producer, paper, history):
    train_now()
    list_lots(client, producer, 1)
    paper[0].locale = "en"
    db.session.commit()
    got = client.get(LOTS, headers=paper[0].headers)
    texts = [r["text"] for i in got.json["items"] for r in i["reasons"]]
    assert texts
    assert any("radius" in t for t in texts), texts
    assert not any("半径" in t for t in texts)


def test_a_model_file_from_another_version_means_the_fallback(client, producer, paper, history):
    row = train_now()
    store = services.model_store()
    path = store._path(row.sha256)
    payload = joblib.load(path)
    payload["format"] = -1
    buffer = io.BytesIO()
    joblib.dump(payload, buffer)
    row.sha256 = store.put(buffer.getvalue())
    db.session.commit()
    list_lots(client, producer, 2)
    got = client.get(LOTS, headers=paper[0].headers)
    assert got.status_code == 200
    assert got.json["method"] == "fallback"
    assert "其他版本" in got.json["note"]
    assert services.load_active().problem == "incompatible"


def test_a_missing_model_file_means_the_fallback(client, producer, paper, history):
    row = train_now()
    row.sha256 = "f" * 64
    db.session.commit()
    list_lots(client, producer, 1)
    got = client.get(LOTS, headers=paper[0].headers)
    assert got.status_code == 200
    assert got.json["method"] == "fallback"
    assert db.session.get(ModelVersion, row.id).active
