"""What the station page tests share: signed-in staff, posting a form, a delivery note made
through its setup page, and a manual weight."""

import sqlalchemy as sa

from core.db import db
from core.models import User
from station.models import Delivery, Package, PackageState
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


def walk_to_stock(manager, station):
    """送料 → 收料 → 分拣 → 打包 → 入库 through the desk pages, each step checked; returns the
    sorted plastic output and the bale made of it, now in stock at A-01."""
    delivery = new_delivery(manager, station)
    delivered = post(
        manager, "/station/desk/deliver", delivery_id=str(delivery.id), **manual("400")
    )
    assert delivered.status_code == 302
    receive(manager, delivery, kg="5198")
    receipt = db.session.scalar(sa.select(Package).where(Package.state == PackageState.RECEIVED))
    form = manager[0].get(f"/station/desk/sort?receipt={receipt.label}").get_data(as_text=True)
    assert "高值塑料" in form
    assert "损耗" in form
    sorted_ = post(
        manager,
        "/station/desk/sort",
        receipt=receipt.label,
        **{"out0-line": "高值塑料", **{f"out0-{k}": v for k, v in manual("848.3").items()}},
        **{"out1-line": "二类纸", **{f"out1-{k}": v for k, v in manual("119.8").items()}},
        **{"out2-line": "损耗"},
    )
    assert sorted_.status_code == 302, sorted_.get_data(as_text=True)
    outputs = db.session.scalars(
        sa.select(Package).where(Package.state == PackageState.SORTED)
    ).all()
    assert sorted(p.material for p in outputs) == ["二类纸", "高值塑料"]
    plastic = next(p for p in outputs if p.material == "高值塑料")
    baled = post(
        manager,
        "/station/desk/bale",
        **{"pick0-label": plastic.label, "pick0-kg": "848.3"},
        tare_pallet="PLT-1210",
        **manual("866.3"),
    )
    assert baled.status_code == 302, baled.get_data(as_text=True)
    bale = db.session.scalar(sa.select(Package).where(Package.state == PackageState.BALED))
    stored = post(
        manager,
        "/station/desk/warehouse-in",
        label=bale.label,
        location="A-01",
        tare_pallet="PLT-1210",
        **manual("866.3"),
    )
    assert stored.status_code == 302, stored.get_data(as_text=True)
    db.session.expire_all()
    return plastic, bale
