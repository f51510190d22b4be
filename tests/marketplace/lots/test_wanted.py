"""Wanted requests: recyclers post, matching producers nearby see and answer with a lot."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.catalogue import Category
from core.db import db
from marketplace.lots.models import WantedAnswer, WantedRequest
from marketplace.profiles.models import WasteStream
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import add_site, archive

TODAY = date.today()


def request_body(site_id, **overrides):
    body = {
        "site_id": site_id,
        "category": "PA",
        "quantity_t": "200",
        "period_start": TODAY.isoformat(),
        "period_end": (TODAY + timedelta(days=30)).isoformat(),
        "radius_km": 60,
        "max_moisture_pct": "12",
        "min_dql": 1,
        "price_idea_yuan_per_t": "1600",
    }
    body.update(overrides)
    return body


@pytest.fixture
def posted(client, recycler):
    response = client.post(
        "/api/v1/wanted", json=request_body(recycler.site.id), headers=recycler.headers
    )
    assert response.status_code == 201, response.json
    return response.json


def declare_stream(org, code):
    cat = db.session.scalar(sa.select(Category).where(Category.code == code))
    db.session.add(WasteStream(organization_id=org.id, category_id=cat.id, kg_per_month=5000))
    db.session.commit()


def test_producer_nearby_with_matching_waste_sees_it(client, producer, recycler, posted) -> None:
    assert client.get("/api/v1/wanted", headers=producer.headers).json == []  # no paper yet
    declare_stream(producer.organization, "PA-OCC")
    seen = client.get("/api/v1/wanted", headers=producer.headers).json
    assert [w["id"] for w in seen] == [posted["id"]]
    assert seen[0]["price_idea_yuan_per_t"] == "1600.00"


def test_producer_too_far_or_wrong_family_does_not(client, recycler, posted, catalogue) -> None:
    far = make_org()
    add_site(far, "韶关厂", 24.81, 113.60)  # ~200 km north
    declare_stream(far, "PA-OCC")
    plastics = make_org()
    add_site(plastics, "长安塑料厂", 22.81, 113.80)
    declare_stream(plastics, "PL-PP-REGRIND")
    for org in (far, plastics):
        user = make_user(org)
        assert client.get("/api/v1/wanted", headers=bearer(user)).json == []
        assert client.get(f"/api/v1/wanted/{posted['id']}", headers=bearer(user)).status_code == 403


def test_answer_with_a_listed_lot(client, producer, recycler, posted) -> None:
    declare_stream(producer.organization, "PA-OCC")
    lot = client.post("/api/v1/lots", json=archive(producer.site.id), headers=producer.headers).json
    path = f"/api/v1/wanted/{posted['id']}/answers"
    draft = client.post(path, json={"lot_id": lot["id"]}, headers=producer.headers)
    assert draft.status_code == 422  # not listed yet
    client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers)
    ok = client.post(path, json={"lot_id": lot["id"]}, headers=producer.headers)
    assert ok.status_code == 201, ok.json
    again = client.post(path, json={"lot_id": lot["id"]}, headers=producer.headers)
    assert again.status_code == 409
    seen = client.get(f"/api/v1/wanted/{posted['id']}", headers=recycler.headers).json
    assert [a["lot_id"] for a in seen["answers"]] == [lot["id"]]
    assert db.session.scalar(sa.select(sa.func.count(WantedAnswer.id))) == 1


def test_answer_must_fit_the_request(client, producer, recycler, posted) -> None:
    declare_stream(producer.organization, "PA-OCC")
    body = archive(producer.site.id, grade="PL-PP-REGRIND", title="PP 水口料")
    lot = client.post("/api/v1/lots", json=body, headers=producer.headers).json
    client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers)
    response = client.post(
        f"/api/v1/wanted/{posted['id']}/answers",
        json={"lot_id": lot["id"]},
        headers=producer.headers,
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"lot_id": "category does not match"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "ZZ"}, "category"),
        (
            {
                "period_end": (TODAY - timedelta(days=40)).isoformat(),
                "period_start": (TODAY - timedelta(days=50)).isoformat(),
            },
            "period_end",
        ),
        ({"period_end": (TODAY - timedelta(days=1)).isoformat()}, "period_end"),
        ({"radius_km": 0}, "radius_km"),
        ({"max_moisture_pct": "120"}, "max_moisture_pct"),
        ({"quantity_t": "-5"}, "quantity_t"),
    ],
)
def test_bad_requests_name_the_field(client, recycler, overrides, field) -> None:
    response = client.post(
        "/api/v1/wanted", json=request_body(recycler.site.id, **overrides), headers=recycler.headers
    )
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count(WantedRequest.id))) == 0


def test_only_the_owner_closes(client, producer, recycler, posted) -> None:
    other = make_user(make_org(recycler.organization.kind))
    assert (
        client.post(f"/api/v1/wanted/{posted['id']}/close", headers=bearer(other)).status_code
        == 403
    )
    closed = client.post(f"/api/v1/wanted/{posted['id']}/close", headers=recycler.headers)
    assert closed.json["open"] is False
    declare_stream(producer.organization, "PA-OCC")
    assert client.get("/api/v1/wanted", headers=producer.headers).json == []
