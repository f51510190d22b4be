"""The station's pages through the test client: every page renders for station staff, forms
run end to end and write the right rows, bad input is a 4xx form message that writes nothing,
and another organisation sees none of it."""

from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from station.models import Alert, Location, Package, PackageState, Weighing
from tests.factories import csrf_token, login, make_org, make_user
from tests.station.pages import (
    PAGES,
    SETUP,
    count,
    manual,
    new_delivery,
    post,
    receive,
    walk_to_stock,
)
from tests.station.test_api import pty_scale  # noqa: F401  (the simulator-fed scale fixture)


def test_every_page_renders_for_station_staff(manager, operator):
    for path in PAGES + SETUP:
        response = manager[0].get(path)
        assert response.status_code == 200, path
        assert "回收站" in response.get_data(as_text=True) or path != "/station/"
    for path in PAGES:
        assert operator[0].get(path).status_code == 200, path
    for path in SETUP:
        assert operator[0].get(path).status_code == 403, path  # setup is for managers


def test_dashboard_shows_flows_stock_and_scales(manager, station):
    delivery = new_delivery(manager, station)
    assert receive(manager, delivery).status_code == 302
    page = manager[0].get("/station/").get_data(as_text=True)
    assert "收料地磅" in page  # the scale, from the registry
    assert "998.000" in page  # today's receive: B = 5198 − 4200
    assert "1,000.000" in page  # A from the production record (400 箱 × 2.5 kg)
    assert "flow-chart" in page
    assert "tier-chart" in page


def test_receive_through_the_desk_writes_the_weighing_and_shows_abcd(manager, station):
    delivery = new_delivery(manager, station)
    response = receive(manager, delivery)
    assert response.status_code == 302
    weighing = db.session.scalar(sa.select(Weighing).where(Weighing.stage == "receive"))
    assert response.headers["Location"].endswith(f"/station/weighings/{weighing.id}")
    assert (weighing.gross_g, weighing.net_g, weighing.standard_g) == (
        5_198_000,
        998_000,
        1_000_000,
    )
    assert weighing.manual
    assert weighing.manual_reason == "地磅检定中"
    page = manager[0].get(response.headers["Location"]).get_data(as_text=True)
    for figure in ("5,198.000", "1,000.000", "998.000", "-2.000"):
        assert figure in page
    assert "正常" in page
    assert "手工录入" in page


def test_manual_entry_without_a_reason_is_a_form_message_and_writes_nothing(manager, station):
    delivery = new_delivery(manager, station)
    response = post(
        manager,
        "/station/desk/receive",
        delivery_id=str(delivery.id),
        source="manual",
        manual_kg="5198",
    )
    assert response.status_code == 422
    assert "手工录入重量必须说明原因" in response.get_data(as_text=True)
    assert count(Weighing) == 0
    assert count(Package) == 0
    too_precise = post(
        manager, "/station/desk/receive", delivery_id=str(delivery.id), **manual("5.0001")
    )
    assert too_precise.status_code == 422
    assert "weight.manual_kg" in too_precise.get_data(as_text=True)
    no_delivery = post(manager, "/station/desk/receive", **manual("5198"))
    assert no_delivery.status_code == 422
    assert "请选择送料单" in no_delivery.get_data(as_text=True)
    assert count(Weighing) == 0


def test_an_anomaly_raises_an_alert_shown_on_the_result(manager, station):
    delivery = new_delivery(manager, station)
    response = receive(manager, delivery, kg="5000")  # B = 800 kg against A = 1,000 kg
    page = manager[0].get(response.headers["Location"]).get_data(as_text=True)
    weighing = db.session.scalar(sa.select(Weighing))
    assert weighing.result == "anomaly"
    assert weighing.sign == "shortfall"
    alert = db.session.scalar(sa.select(Alert))
    assert alert.weighing_id == weighing.id
    assert "异常" in page
    assert "短缺" in page
    assert f"/station/alerts/{alert.id}" in page


def test_the_six_stages_through_the_desk(manager, station):
    plastic, bale = walk_to_stock(manager, station)
    assert plastic.material == "高值塑料"
    assert bale.net_g == 848_300
    assert bale.state is PackageState.IN_STOCK
    assert bale.location_id == db.session.scalar(
        sa.select(Location.id).where(Location.code == "A-01")
    )
    page = manager[0].get(f"/station/packages/{bale.label}").get_data(as_text=True)
    assert plastic.label in page  # lineage back to the sorted output
    assert "在库" in page


def test_a_stage_out_of_order_is_refused_with_the_service_message(manager, station):
    delivery = new_delivery(manager, station)
    receive(manager, delivery)
    receipt = db.session.scalar(sa.select(Package))
    before = count(Weighing)
    response = post(
        manager, "/station/desk/warehouse-in", label=receipt.label, location="A-01", **manual("10")
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"标签 {receipt.label} 处于“已收料”，本环节需要：已打包" in page
    assert count(Weighing) == before


def test_reweigh_creates_a_linked_record(manager, station):
    delivery = new_delivery(manager, station)
    first = receive(manager, delivery)
    old = db.session.scalar(sa.select(Weighing))
    response = post(
        manager, f"/station/weighings/{old.id}/reweigh", tare_vehicle="粤S12345", **manual("5199")
    )
    assert response.status_code == 302
    new = db.session.scalar(sa.select(Weighing).where(Weighing.replaces_id == old.id))
    assert new.net_g == 999_000
    assert "已被复称" in manager[0].get(first.headers["Location"]).get_data(as_text=True)
    again = post(manager, f"/station/weighings/{old.id}/reweigh", **manual("5199"))
    assert again.status_code == 409
    assert count(Weighing) == 2


def test_labels_scan_and_print(manager, station):
    delivery = new_delivery(manager, station)
    receive(manager, delivery)
    label = db.session.scalar(sa.select(Package.label))
    client = manager[0]
    found = client.get(f"/station/scan?label={label.lower()}")
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/station/packages/{label}")
    unknown = client.get("/station/scan?label=ST99-RCV-20261201-0001")
    assert unknown.status_code == 404
    assert "标签 ST99-RCV-20261201-0001 不存在" in unknown.get_data(as_text=True)
    svg = client.get(f"/station/packages/{label}/label.svg")
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    png = client.get(f"/station/packages/{label}/label.png")
    assert png.mimetype == "image/png"
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/station/packages/{label}/label.pdf").data[:5] == b"%PDF-"
    single = client.get(f"/station/packages/{label}/print").get_data(as_text=True)
    assert "single" in single
    assert f"{label}/label.svg" in single
    sheet = client.get(f"/station/labels/sheet?label={label}").get_data(as_text=True)
    assert 'class="sheet"' in sheet
    assert client.get("/station/labels/sheet").status_code == 422
    listed = client.get(f"/station/packages?q={label[-4:]}").get_data(as_text=True)
    assert label in listed


def test_alert_handling_through_the_pages(app, manager, operator, station):
    delivery = new_delivery(manager, station)
    receive(operator, delivery, kg="5198")  # normal, but entered by hand: tier 1
    alert = db.session.scalar(sa.select(Alert))
    assert alert.tier == 1
    assert post(operator, f"/station/alerts/{alert.id}/acknowledge").status_code == 302
    empty = post(operator, f"/station/alerts/{alert.id}/file", reason="")
    assert empty.status_code == 422
    assert (
        post(operator, f"/station/alerts/{alert.id}/file", reason="车上残留料，已复核").status_code
        == 302
    )
    db.session.expire_all()
    assert alert.state == "filed"
    assert post(manager, f"/station/alerts/{alert.id}/approve").status_code == 302
    db.session.expire_all()
    assert alert.state == "resolved"
    assert alert.approved_by == station.manager.user_id
    assert post(manager, f"/station/alerts/{alert.id}/dance").status_code == 422


def test_the_alert_stream_pushes_new_alerts_to_the_right_level(app, manager, operator, station):
    app.config.update(STATION_SSE_SECONDS=0, STATION_SSE_POLL_S=0)
    delivery = new_delivery(manager, station)
    receive(manager, delivery, kg="4900")  # far short: a high tier
    alert = db.session.scalar(sa.select(Alert))
    assert alert.tier >= 2
    stream = manager[0].get("/station/alerts/stream?after=0")
    assert stream.mimetype == "text/event-stream"
    body = stream.get_data(as_text=True)
    assert body.startswith("retry: 2000")
    assert f"id: {alert.id}\nevent: alert" in body
    resumed = manager[0].get("/station/alerts/stream", headers={"Last-Event-ID": str(alert.id)})
    assert "event: alert" not in resumed.get_data(as_text=True)
    # A shift leader (operator) is not told of a tier the workshop handles, only of their own.
    assert "event: alert" not in operator[0].get("/station/alerts/stream?after=0").get_data(
        as_text=True
    )
    receive(operator, new_delivery(manager, station, number="SL-PAGE-2"))  # manual: tier 1
    tier1 = db.session.scalar(sa.select(Alert).where(Alert.id != alert.id))
    assert tier1.tier == 1
    told = operator[0].get("/station/alerts/stream?after=0").get_data(as_text=True)
    assert f"id: {tier1.id}\nevent: alert" in told
    assert f"id: {alert.id}\n" not in told
    assert "手工录入" in told  # the reason in words


def test_a_read_only_station_user_reads_the_pages_and_changes_nothing(app, manager, station):
    viewer = make_user(station.org, Role.VIEWER)
    db.session.commit()
    client = app.test_client()
    login(client, viewer.username)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    csrf = csrf_token(client, "/station/packages")
    delivery = new_delivery(manager, station)
    refused = client.post(
        "/station/desk/receive",
        data={"csrf_token": csrf, "delivery_id": str(delivery.id), **manual("5198")},
    )
    assert refused.status_code == 403
    assert count(Weighing) == 0


def test_another_organisation_sees_nothing(app, manager, station):
    delivery = new_delivery(manager, station)
    receive(manager, delivery, kg="5000")
    weighing = db.session.scalar(sa.select(Weighing))
    alert = db.session.scalar(sa.select(Alert))
    label = db.session.scalar(sa.select(Package.label))
    other = make_user(make_org(OrgKind.STATION), Role.MANAGER)
    factory = make_user(station.factory, Role.MANAGER)
    db.session.commit()
    client = app.test_client()
    login(client, other.username)
    assert client.get(f"/station/weighings/{weighing.id}").status_code == 404
    assert client.get(f"/station/packages/{label}").status_code == 404
    assert client.get(f"/station/alerts/{alert.id}").status_code == 403
    assert f"#{alert.id}" not in client.get("/station/alerts").get_data(as_text=True)
    app.config.update(STATION_SSE_SECONDS=0, STATION_SSE_POLL_S=0)
    assert "event: alert" not in client.get("/station/alerts/stream?after=0").get_data(as_text=True)
    outsider = app.test_client()
    login(outsider, factory.username)
    assert outsider.get("/station/").status_code == 403


def test_the_desk_reads_the_scale_over_a_pty(manager, station, pty_scale):  # noqa: F811
    scale, _ = pty_scale
    delivery = new_delivery(manager, station)
    response = post(
        manager,
        "/station/desk/receive",
        delivery_id=str(delivery.id),
        source=str(scale.id),
        tare_vehicle="粤S12345",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    weighing = db.session.scalar(sa.select(Weighing))
    assert weighing.gross_g == 5_198_000
    assert weighing.scale_id == scale.id
    assert not weighing.manual
    assert len(weighing.raw_sha256) == 64
    assert Decimal(weighing.net_g) / 1000 == Decimal("998")
