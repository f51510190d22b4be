"""The service tender pages through forms: publish, quote, choose, complete and rate."""

from datetime import timedelta

import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from marketplace.tenders.models import ServiceAward, ServiceQuote, ServiceRequest
from tests.factories import csrf_token, login
from tests.marketplace.tenders.conftest import carrier_user


def form(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/services")})


def test_publish_quote_choose_and_rate_through_the_pages(app, producer, catalogue) -> None:
    carrier = carrier_user()
    requester, provider = app.test_client(), app.test_client()
    login(requester, producer.username)
    login(provider, carrier.username)
    today = utcnow().date()
    page = requester.get("/services/new")
    assert page.status_code == 200
    assert "发布服务需求" in page.get_data(as_text=True)
    bad = form(requester, "/services/new", {"kind": "transport", "site_id": producer.site.id})
    assert bad.status_code == 422
    assert 'data-testid="error-window_start"' in bad.get_data(as_text=True)
    assert 'data-testid="error-deadline"' in bad.get_data(as_text=True)
    created = form(
        requester,
        "/services/new",
        {
            "kind": "transport",
            "site_id": producer.site.id,
            "grade": "PA-OCC",
            "quantity_t": "8",
            "window_start": (today + timedelta(days=3)).isoformat(),
            "window_end": (today + timedelta(days=5)).isoformat(),
            "deadline": (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "basis": "per_tonne",
            "budget_yuan": "",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    rid = db.session.scalar(sa.select(ServiceRequest.id))
    assert provider.get("/services").get_data(as_text=True).count("service-request-row") == 1

    quoted = form(
        provider,
        f"/services/{rid}/quote",
        {
            "price_yuan": "95",
            "basis": "per_tonne",
            "earliest_date": (today + timedelta(days=3)).isoformat(),
            "valid_until": (today + timedelta(days=5)).isoformat(),
        },
    )
    assert quoted.status_code == 302
    higher = form(
        provider,
        f"/services/{rid}/quote",
        {
            "price_yuan": "99",
            "basis": "per_tonne",
            "earliest_date": (today + timedelta(days=3)).isoformat(),
            "valid_until": (today + timedelta(days=5)).isoformat(),
        },
    )
    detail = provider.get(higher.headers["Location"]).get_data(as_text=True)
    assert "修改报价只能降低" in detail
    assert db.session.scalar(sa.select(sa.func.count(ServiceQuote.id))) == 1
    assert provider.get("/services/quotes").status_code == 200

    ranked = requester.get(f"/services/{rid}").get_data(as_text=True)
    assert carrier.organization.legal_name in ranked
    assert "暂无评价" in ranked
    qid = db.session.scalar(sa.select(ServiceQuote.id))
    assert form(requester, f"/services/{rid}/award", {"quote_id": qid}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ServiceAward.id))) == 1
    done = form(requester, f"/services/{rid}/complete", {"stars": "5", "comment": "准时"})
    assert done.status_code == 302
    shown = requester.get(f"/services/{rid}").get_data(as_text=True)
    assert "5.0 ★ (1)" in shown
    assert "已完成" in shown
    english = requester.get(f"/services/{rid}?lang=en").get_data(as_text=True)
    assert "Service order" in english
    assert "completed" in english
