"""A logistics company with a depot at 虎门 and three trucks (one with a hazmat permit), a
scheduled trade at 长安 for a recycler at 麻涌, and an approved station outbound plan."""

from __future__ import annotations

import time
from datetime import date

import pytest
import sqlalchemy as sa

from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from marketplace.dispatch.models import RoutePlan
from marketplace.fleet.models import Depot, Vehicle
from station.models.outbound import OutboundPlan
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import add_site
from tests.marketplace.trading.conftest import admin, buyers, listed  # noqa: F401 (fixtures)
from tests.marketplace.trading.test_fulfilment import won

DAY = date(2026, 12, 2)


@pytest.fixture
def carrier(app):
    org = make_org(OrgKind.LOGISTICS, legal_name="测试环运物流有限公司")
    depot = Depot(organization=org, name="虎门车场", address="虎门", lat=22.8215, lon=113.7053)
    db.session.add(depot)
    db.session.flush()
    for plate, kg, m3, hazmat in (
        ("粤S·T0001", 2000, 16, False),
        ("粤S·T0002", 8000, 45, False),
        ("粤S·T0003", 8000, 40, True),
        ("粤S·T0004", 20000, 70, False),
    ):
        db.session.add(
            Vehicle(
                organization=org,
                depot_id=depot.id,
                plate=plate,
                vehicle_type="truck",
                type_zh="货车",
                capacity_kg=kg,
                capacity_m3=m3,
                hazmat_permit=hazmat,
            )
        )
    db.session.commit()
    manager = make_user(org, Role.MANAGER)
    manager.headers = bearer(manager)
    driver = make_user(org, Role.OPERATOR)
    driver.headers = bearer(driver)
    manager.driver = driver
    manager.vehicles = list(
        db.session.scalars(sa.select(Vehicle).where(Vehicle.organization_id == org.id))
    )
    return manager


@pytest.fixture
def scheduled(client, producer, listed, buyers, admin):  # noqa: F811 (the fixtures above)
    """A 12.5 t trade whose pickup is scheduled (trade id)."""
    trade_id = won(client, producer, listed, buyers[0], admin)
    path = f"/api/v1/trades/{trade_id}"
    assert client.post(f"{path}/schedule", headers=producer.headers).status_code == 200
    return trade_id


@pytest.fixture
def outbound(app, catalogue):
    station = make_org(OrgKind.STATION, lat=22.95, lon=113.75)
    add_site(station, "大岭山回收站", 22.9, 113.84)
    buyer = make_org(OrgKind.RECYCLER)
    add_site(buyer, "麻涌造纸厂", 23.05, 113.59)
    category = db.session.scalar(sa.select(Category).where(Category.code == "PA"))
    plan = OutboundPlan(
        station_id=station.id,
        buyer_id=buyer.id,
        number="OB-T-1",
        category_id=category.id,
        planned_g=3_000_000,
        unit_price_fen_per_t=150000,
        state="approved",
    )
    db.session.add(plan)
    db.session.commit()
    return plan


def actor(user) -> Actor:
    return Actor.of(user)


def wait_planned(plan_id: int, timeout: float = 60.0) -> RoutePlan:
    """Poll the plan row until its job has finished (the job runs in a thread)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        db.session.expire_all()
        plan = db.session.get(RoutePlan, plan_id)
        if plan.state != "planning":
            return plan
        time.sleep(0.2)
    raise AssertionError("planning job did not finish")
