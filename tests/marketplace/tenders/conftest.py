"""A producer with two sites, two carriers, and helpers to publish, quote and move deadlines."""

from datetime import timedelta

import pytest

from core.db import db
from core.enums import OrgKind, Role
from core.time import utcnow
from marketplace.tenders.models import ServiceRequest
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import add_site


def carrier_user(name="物流"):
    org = make_org(OrgKind.LOGISTICS)
    add_site(org, f"{name}车场", 22.82, 113.70)
    user = make_user(org, Role.OPERATOR)
    user.headers = bearer(user)
    return user


@pytest.fixture
def carriers(app, catalogue):
    return [carrier_user(f"物流{i}") for i in range(3)]


def body(site, **overrides):
    today = utcnow().date()
    values = {
        "kind": "transport",
        "site_id": site,
        "grade": "PA-OCC",
        "quantity_t": "12.5",
        "window_start": (today + timedelta(days=3)).isoformat(),
        "window_end": (today + timedelta(days=6)).isoformat(),
        "description": "25 包，叉车装货",
        "deadline": (utcnow() + timedelta(days=1)).isoformat(),
        "basis": "per_tonne",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def publish(client, user, expect=201, **overrides):
    response = client.post(
        "/api/v1/service-requests", json=body(user.site.id, **overrides), headers=user.headers
    )
    assert response.status_code == expect, response.json
    return response.json


def quote(client, user, request_id, price, **overrides):
    today = utcnow().date()
    values = {
        "price_yuan": price,
        "basis": "per_tonne",
        "earliest_date": (today + timedelta(days=3)).isoformat(),
        "valid_until": (today + timedelta(days=10)).isoformat(),
    }
    values.update(overrides)
    return client.post(
        f"/api/v1/service-requests/{request_id}/quotes", json=values, headers=user.headers
    )


def past_deadline(request_id):
    """Move a request's quote deadline into the past (as if time had passed)."""
    request = db.session.get(ServiceRequest, request_id)
    request.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
