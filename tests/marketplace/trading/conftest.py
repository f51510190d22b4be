"""A listed OCC lot and three licensed recyclers nearby, one out of range, one unlicensed."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.time import utcnow
from marketplace.profiles.models import RecyclerProfile
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import add_site, archive
from tests.marketplace.notify.conftest import receiver_factory, webhook_app  # noqa: F401 (fixtures)


def licensed_recycler(name, lat, lon, families=("PA",), radius=80, capacity=1000):
    org = make_org(OrgKind.RECYCLER)
    add_site(org, name, lat, lon)
    scope = list(db.session.scalars(sa.select(Category).where(Category.code.in_(families))))
    db.session.add(
        RecyclerProfile(
            organization=org,
            licence_no="T",
            licence_issuer="T",
            capacity_t_per_month=capacity,
            haul_radius_km=radius,
            scope=scope,
        )
    )
    db.session.commit()
    user = make_user(org, Role.MANAGER)
    user.headers = bearer(user)
    return user


@pytest.fixture
def admin(app):
    user = make_user(make_org(OrgKind.ADMIN), Role.MANAGER)
    user.headers = bearer(user)
    return user


@pytest.fixture
def listed(client, producer):
    lot = client.post("/api/v1/lots", json=archive(producer.site.id), headers=producer.headers).json
    client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers)
    return lot


@pytest.fixture
def buyers(app, catalogue):
    return [licensed_recycler(f"麻涌{i}", 23.04, 113.58 + i * 0.01) for i in range(3)]


def open_sale(client, producer, lot, **rules):
    body = {
        "mode": "ascending",
        "deadline": (utcnow() + timedelta(hours=1)).isoformat(),
        "min_increment_yuan": "10",
    }
    body.update(rules)
    response = client.put(f"/api/v1/lots/{lot['id']}/sale", json=body, headers=producer.headers)
    assert response.status_code == 200, response.json
    return response.json
