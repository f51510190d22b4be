"""Work orders through the API and the pages: an order made and listed by the API, a receive
booked against it (by number) showing the order and its line, the refusals as 4xx naming
`work_order`, closing through the API and the setup page's button, the desk's select of today's
orders for me, and the process records' 工单 and 产线/班组 columns."""

import csv
import io

import sqlalchemy as sa

from core.db import db
from core.models import User
from core.time import to_local, utcnow
from station.models import Stage, Weighing, WorkOrder
from station.services import setup
from tests.factories import bearer
from tests.station.pages import manual, new_delivery, post

TZ = "Asia/Shanghai"


def today():
    return to_local(utcnow(), TZ).date()


def make_order(station, number, stage=Stage.RECEIVE, line="L2", assignees=None):
    order = setup.create_work_order(
        station.manager,
        number=number,
        stage=stage,
        line=line,
        shift="夜班",
        work_date=today(),
        assignees=assignees if assignees is not None else [station.operator.user_id],
    )
    db.session.commit()
    return order


def _headers(actor):
    return bearer(db.session.get(User, actor.user_id))


def test_the_api_makes_lists_books_and_closes_work_orders(client, station, manager):
    boss, op = _headers(station.manager), _headers(station.operator)
    made = client.post(
        "/api/v1/station/work-orders",
        headers=boss,
        json={
            "number": "wo-api-1",
            "stage": "receive",
            "line": "L2",
            "shift": "白班",
            "work_date": today().isoformat(),
            "assignees": [station.operator.user_id],
        },
    )
    assert made.status_code == 201, made.json
    assert (made.json["number"], made.json["closed_at"]) == ("WO-API-1", None)
    assert client.post("/api/v1/station/work-orders", headers=op, json={}).status_code == 403
    listed = client.get("/api/v1/station/work-orders", headers=op)
    assert [o["number"] for o in listed.json] == ["WO-API-1"]

    delivery = new_delivery(manager, station, number="SL-API-WO")
    body = {
        "weight": {"manual_kg": "5198", "manual_reason": "地磅检定中"},
        "tares": [{"kind": "vehicle", "ref": "粤S12345"}],
    }
    url = f"/api/v1/station/deliveries/{delivery.id}/receive"
    for bad in (True, [1], {"id": 1}):
        refused = client.post(url, headers=op, json={**body, "work_order": bad})
        assert refused.status_code == 422, bad
        assert "work_order" in str(refused.json)
    unknown = client.post(url, headers=op, json={**body, "work_order": "WO-NONE"})
    assert unknown.status_code == 422
    assert "work_order" in str(unknown.json)
    # the manager is not assigned: 403 naming the order, and nothing is written
    refused = client.post(url, headers=boss, json={**body, "work_order": "WO-API-1"})
    assert refused.status_code == 403
    assert "work_order" in str(refused.json)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Weighing).where(Weighing.stage == Stage.RECEIVE)
        )
        == 0
    )

    booked = client.post(url, headers=op, json={**body, "work_order": made.json["id"]})
    assert booked.status_code == 201, booked.json
    assert (booked.json["work_order"], booked.json["line"]) == ("WO-API-1", "L2")
    assert booked.json["work_order_id"] == made.json["id"]

    closed = client.post(f"/api/v1/station/work-orders/{made.json['id']}/close", headers=op)
    assert closed.status_code == 200
    assert closed.json["closed_at"] is not None
    again = client.post(f"/api/v1/station/work-orders/{made.json['id']}/close", headers=op)
    assert again.status_code == 409
    assert client.post("/api/v1/station/work-orders/999999/close", headers=op).status_code == 404


def test_the_desk_offers_my_orders_and_the_result_shows_order_and_line(operator, manager, station):
    mine = make_order(station, "WO-DESK")
    make_order(station, "WO-BOSS", assignees=[station.manager.user_id])
    make_order(station, "WO-SORT", stage=Stage.SORT)
    page = operator[0].get("/station/desk/receive").get_data(as_text=True)
    assert 'name="work_order"' in page
    assert "WO-DESK" in page
    assert "WO-BOSS" not in page  # assigned to someone else
    assert "WO-SORT" not in page  # another stage
    delivery = new_delivery(manager, station, number="SL-DESK-WO")
    wrong = post(
        operator,
        "/station/desk/receive",
        delivery_id=str(delivery.id),
        tare_vehicle="粤S12345",
        work_order="WO-SORT",
        **manual("5198"),
    )
    assert wrong.status_code == 422
    assert "work_order" in wrong.get_data(as_text=True)
    done = post(
        operator,
        "/station/desk/receive",
        delivery_id=str(delivery.id),
        tare_vehicle="粤S12345",
        work_order="WO-DESK",
        **manual("5198"),
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    weighing = db.session.scalar(sa.select(Weighing).where(Weighing.stage == Stage.RECEIVE))
    assert (weighing.work_order_id, weighing.line) == (mine.id, "L2")
    result = operator[0].get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="result-work-order">WO-DESK<' in result
    assert 'data-testid="result-line">L2<' in result

    csv_text = operator[0].get("/station/reports/process?format=csv").data.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(csv_text)))
    assert "工单" in header
    assert "产线/班组" in header
    row = next(r for r in rows if r[0] == str(weighing.id))
    assert (row[header.index("工单")], row[header.index("产线/班组")]) == ("WO-DESK", "L2")
    html = operator[0].get("/station/reports/process").get_data(as_text=True)
    assert "WO-DESK" in html


def test_the_setup_page_closes_an_order(manager, operator, station):
    order = make_order(station, "WO-SHUT")
    page = manager[0].get("/station/setup/orders").get_data(as_text=True)
    assert 'data-testid="close-WO-SHUT"' in page
    closed = post(manager, f"/station/setup/orders/{order.id}/close")
    assert closed.status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).closed_at is not None
    page = manager[0].get("/station/setup/orders").get_data(as_text=True)
    assert 'data-testid="close-WO-SHUT"' not in page
    again = post(manager, f"/station/setup/orders/{order.id}/close")
    assert again.status_code == 409  # the form's message, not an error page
    assert post(operator, f"/station/setup/orders/{order.id}/close").status_code == 403
    assert "WO-SHUT" not in operator[0].get("/station/desk/receive").get_data(as_text=True)
    # a closed order takes no more weighings
    delivery = new_delivery(manager, station, number="SL-SHUT")
    refused = post(
        operator,
        "/station/desk/receive",
        delivery_id=str(delivery.id),
        tare_vehicle="粤S12345",
        work_order="WO-SHUT",
        **manual("5198"),
    )
    assert refused.status_code == 409
