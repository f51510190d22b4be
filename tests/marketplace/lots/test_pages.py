"""Lot pages answer bad input with a 4xx page naming the field, never a 500."""

import io

import pytest
import sqlalchemy as sa

from core.db import db
from marketplace.lots.models import Lot
from tests.factories import csrf_token, login
from tests.marketplace.conftest import png_bytes


@pytest.fixture
def producer_client(client, producer):
    login(client, producer.username)
    return client


def form(producer, **overrides):
    base = {
        "title": "页面测试黄板纸",
        "site_id": str(producer.site.id),
        "grade": "PA-OCC",
        "quantity_t": "5",
        "quantity_basis": "estimated",
        "form": "bale",
        "prop_moisture_pct": "12",
        "prop_moisture_pct_source": "declared",
    }
    base.update(overrides)
    return base


def test_create_through_the_form(producer_client, producer) -> None:
    token = csrf_token(producer_client, "/lots/new")
    response = producer_client.post("/lots/new", data={**form(producer), "csrf_token": token})
    assert response.status_code == 302
    lot = db.session.scalar(sa.select(Lot))
    assert lot.title == "页面测试黄板纸"
    assert lot.quantity_g == 5_000_000
    page = producer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "页面测试黄板纸" in page
    assert "含水率" in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity_t": "abc"}, "quantity_t"),
        ({"quantity_t": "-1"}, "quantity_t"),
        ({"prop_moisture_pct": "150"}, "properties.0.value"),
        ({"site_id": "999999"}, "site_id"),
        ({"grade": "PA"}, "grade"),
        ({"available_from": "2026-12-10", "available_until": "2026-12-01"}, "available_until"),
        (
            {
                "comp_0_component": "纤维",
                "comp_0_value": "90",
                "comp_1_component": "水",
                "comp_1_value": "20",
            },
            "composition",
        ),
        ({"form": "gas"}, "form"),
    ],
)
def test_form_errors_are_shown_and_nothing_is_written(
    producer_client, producer, overrides, field
) -> None:
    token = csrf_token(producer_client, "/lots/new")
    response = producer_client.post(
        "/lots/new", data={**form(producer, **overrides), "csrf_token": token}
    )
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0


def test_evidence_page_upload_refuses_fakes(producer_client, producer, evidence_dir) -> None:
    token = csrf_token(producer_client, "/lots/new")
    producer_client.post("/lots/new", data={**form(producer), "csrf_token": token})
    lot = db.session.scalar(sa.select(Lot))
    fake = producer_client.post(
        f"/lots/{lot.id}/evidence",
        content_type="multipart/form-data",
        data={"csrf_token": token, "kind": "photo", "file": (io.BytesIO(b"not an image"), "a.png")},
    )
    assert fake.status_code == 303
    assert "文件内容不是允许的类型" in producer_client.get(fake.headers["Location"]).get_data(
        as_text=True
    )
    ok = producer_client.post(
        f"/lots/{lot.id}/evidence",
        content_type="multipart/form-data",
        data={"csrf_token": token, "kind": "photo", "file": (io.BytesIO(png_bytes()), "a.png")},
    )
    assert ok.status_code == 303
    for bad in ({"kind": "nonsense"}, {"kind": "lab_report", "test_date": "not-a-date"}, {}):
        response = producer_client.post(
            f"/lots/{lot.id}/evidence", data={"csrf_token": token, **bad}
        )
        assert response.status_code == 303


@pytest.mark.parametrize(
    "query",
    [
        "min_dql=abc",
        "sort=cheapest",
        "radius_km=-4&site_id=1",
        "site_id=999999",
        "max_price=1e999",
        "q=%00",
    ],
)
def test_market_page_bad_queries(client, recycler, query) -> None:
    login(client, recycler.username)
    response = client.get(f"/market?{query}")
    assert 400 <= response.status_code < 500


def test_market_page_lists_and_pages(client, recycler, producer) -> None:
    login(client, recycler.username)
    response = client.get(f"/market?site_id={recycler.site.id}&radius_km=50&sort=distance")
    assert response.status_code == 200
    assert 'data-testid="map"' in response.get_data(as_text=True)


def test_wanted_page_errors(client, recycler) -> None:
    login(client, recycler.username)
    token = csrf_token(client, "/wanted")
    response = client.post(
        "/wanted",
        data={
            "csrf_token": token,
            "category": "PA",
            "site_id": str(recycler.site.id),
            "quantity_t": "x",
        },
    )
    assert response.status_code == 422
    assert "quantity_t" in response.get_data(as_text=True)


def test_sites_page_adds_a_site_and_names_bad_fields(producer_client, producer) -> None:
    token = csrf_token(producer_client, "/sites")
    bad = producer_client.post(
        "/sites",
        data={
            "csrf_token": token,
            "name": "三厂",
            "address": "长安",
            "lat": "95",
            "lon": "113.8",
            "opening_hours": "8-5",
        },
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "lat" in text
    assert "opening_hours" in text
    ok = producer_client.post(
        "/sites",
        data={
            "csrf_token": token,
            "name": "三厂",
            "address": "长安",
            "lat": "22.81",
            "lon": "113.80",
            "opening_hours": "08:00-18:00",
            "loading": ["forklift"],
        },
    )
    assert ok.status_code == 302
    assert "三厂" in producer_client.get("/sites").get_data(as_text=True)
