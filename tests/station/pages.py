"""What the station page tests share: signed-in staff, posting a form, a delivery note made
through its setup page, and a manual weight."""

import sqlalchemy as sa

from core.db import db
from core.models import User
from station.models import Delivery
from tests.factories import csrf_token, login


def signed_in(app, actor):
    client = app.test_client()
    user = db.session.get(User, actor.user_id)
    login(client, user.username)
    return client, csrf_token(client, "/station/packages")


def post(pair, path, **data):
    client, csrf = pair
    return client.post(path, data={"csrf_token": csrf, **data})


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_delivery(manager, station, number="SL-PAGE-1", records=True):
    data = {
        "factory_id": str(station.factory.id),
        "number": number,
        "grade": "PL-MIXED",
        "vehicle_plate": "粤S12345",
    }
    if records:
        data["record_ids"] = str(station.record.id)
    response = post(manager, "/station/setup/deliveries", **data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(Delivery).where(Delivery.number == number))


def manual(kg, reason="地磅检定中", **extra):
    return {"source": "manual", "manual_kg": kg, "manual_reason": reason, **extra}


def receive(pair, delivery, kg="5198"):
    return post(
        pair,
        "/station/desk/receive",
        delivery_id=str(delivery.id),
        tare_vehicle="粤S12345",
        **manual(kg),
    )


PAGES = [
    "/station/",
    "/station/desk/deliver",
    "/station/desk/receive",
    "/station/desk/sort",
    "/station/desk/bale",
    "/station/desk/warehouse-in",
    "/station/packages",
    "/station/alerts",
    "/station/outbound",
]
SETUP = [
    f"/station/setup/{s}"
    for s in (
        "scales",
        "tares",
        "tolerances",
        "ratios",
        "locations",
        "records",
        "deliveries",
        "orders",
    )
]
