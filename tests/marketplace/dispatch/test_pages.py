"""The dispatcher's and driver's pages through HTTP: plan with progress polling, GeoJSON, a hand
move flagged with its violations, publishing, a run sheet, and the driver's confirmation."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from core.db import db
from core.enums import Role
from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop
from tests.factories import csrf_token, login, make_org, make_user
from tests.marketplace.dispatch.conftest import DAY


def _session(app, user):
    client = app.test_client()
    login(client, user.username)
    return client, csrf_token(client, "/dispatch")


def test_dispatcher_plans_moves_publishes_and_driver_confirms(app, carrier, scheduled, outbound):
    client, csrf = _session(app, carrier)
    page = client.get(f"/dispatch?day={DAY.isoformat()}").get_data(as_text=True)
    assert "长安一厂" not in page  # viewing the day writes nothing: not gathered yet
    assert db.session.query(PickupRequest).count() == 0
    gathered = client.post(
        "/dispatch/gather", data={"csrf_token": csrf, "day": DAY.isoformat()}, follow_redirects=True
    )
    assert "新增 2 条" in gathered.get_data(as_text=True)
    page = client.get(f"/dispatch?day={DAY.isoformat()}").get_data(as_text=True)
    assert "长安一厂" in page
    assert "大岭山回收站" in page
    ids = [str(v.id) for v in carrier.vehicles]
    started = client.post(
        "/dispatch/plans",
        data={"csrf_token": csrf, "day": DAY.isoformat(), "vehicle_ids": ids, "time_limit_s": "2"},
    )
    assert started.status_code == 302
    url = started.headers["Location"]
    plan_id = int(url.rsplit("/", 1)[1])
    for _ in range(300):
        status = client.get(f"{url}/status").json
        if status["state"] != "planning":
            break
        time.sleep(0.2)
    assert status == {"state": "draft", "percent": 100, "message": "完成", "error": ""}
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="kpis"' in page
    assert 'data-testid="timeline"' in page
    geo = client.get(f"{url}/routes.geojson")
    assert geo.mimetype == "application/geo+json"
    lines = [f for f in geo.json["features"] if f["geometry"]["type"] == "LineString"]
    assert lines
    assert all(len(f["geometry"]["coordinates"]) >= 4 for f in lines)
    van = carrier.vehicles[0]
    stop = next(
        s
        for s in db.session.get(RoutePlan, plan_id).stops
        if s.kind == "pickup" and s.request.source == "trade"
    )  # 12.5 t
    moved = client.post(
        f"{url}/move",
        data={"csrf_token": csrf, "stop_id": stop.id, "vehicle_id": van.id, "position": 0},
    )
    assert moved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="violations"' in page
    assert "over capacity" in page
    refused = client.post(f"{url}/publish", data={"csrf_token": csrf}, follow_redirects=True)
    assert "计划仍有违规，不能发布" in refused.get_data(as_text=True)
    bad = client.post(
        f"{url}/move",
        data={"csrf_token": csrf, "stop_id": stop.id, "vehicle_id": "x", "position": 0},
        follow_redirects=True,
    )
    assert "vehicle_id" in bad.get_data(as_text=True)
    big = carrier.vehicles[3]  # the 20 t truck it came from
    client.post(
        f"{url}/move",
        data={"csrf_token": csrf, "stop_id": stop.id, "vehicle_id": big.id, "position": 0},
    )
    db.session.expire_all()
    assert db.session.get(RoutePlan, plan_id).valid
    assert client.post(f"{url}/publish", data={"csrf_token": csrf}).status_code == 302
    assert db.session.get(RoutePlan, plan_id).state == "published"
    client.post(
        f"{url}/driver",
        data={"csrf_token": csrf, "vehicle_id": big.id, "user_id": carrier.driver.id},
    )
    sheet = client.get(f"{url}/vehicles/{big.id}/sheet").get_data(as_text=True)
    assert big.plate in sheet
    assert carrier.driver.display_name in sheet
    # another logistics company does not see the plan at all
    stranger = make_user(make_org(kind=carrier.organization.kind))
    other, other_csrf = _session(app, stranger)
    assert other.get(url).status_code == 404
    assert other.post(f"{url}/publish", data={"csrf_token": other_csrf}).status_code == 404
    # the driver's page, and the confirmation of a pickup (bad weight named, then good)
    driver, driver_csrf = _session(app, carrier.driver)
    db.session.expire_all()
    plan = db.session.get(RoutePlan, plan_id)
    plan.day = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()  # the page shows today
    db.session.commit()
    mine = driver.get("/driver").get_data(as_text=True)
    assert 'data-testid="driver-stop"' in mine
    target = (
        db.session.query(RouteStop)
        .filter_by(plan_id=plan_id, vehicle_id=big.id, kind="pickup")
        .first()
    )
    wrong = driver.post(
        f"/driver/stops/{target.id}/confirm",
        data={"csrf_token": driver_csrf, "kg": "-5"},
        follow_redirects=True,
    )
    assert "kg" in wrong.get_data(as_text=True)
    ok = driver.post(
        f"/driver/stops/{target.id}/confirm",
        data={"csrf_token": driver_csrf, "kg": "2980.5"},
        follow_redirects=True,
    )
    assert 'data-testid="confirmed"' in ok.get_data(as_text=True)


def test_gather_names_a_bad_day_and_a_viewer_cannot_gather(app, carrier, scheduled):
    client, csrf = _session(app, carrier)
    bad = client.post("/dispatch/gather", data={"csrf_token": csrf, "day": "2026-13-40"})
    assert bad.status_code == 302
    assert "day" in client.get(bad.headers["Location"]).get_data(as_text=True)
    viewer = make_user(carrier.organization, Role.VIEWER)
    other, other_csrf = _session(app, viewer)
    form = {"csrf_token": other_csrf, "day": DAY.isoformat()}
    refused = other.post("/dispatch/gather", data=form)
    assert refused.status_code == 403
    assert db.session.query(PickupRequest).count() == 0


def test_planning_a_day_gathers_its_requests(app, carrier, scheduled):
    client, csrf = _session(app, carrier)
    ids = [str(v.id) for v in carrier.vehicles]
    started = client.post(
        "/dispatch/plans",
        data={"csrf_token": csrf, "day": DAY.isoformat(), "vehicle_ids": ids, "time_limit_s": "1"},
    )
    assert started.status_code == 302
    url = started.headers["Location"]
    for _ in range(300):  # let the planning job finish before the database goes away
        if client.get(f"{url}/status").json["state"] != "planning":
            break
        time.sleep(0.2)
    db.session.expire_all()
    plan = db.session.get(RoutePlan, int(url.rsplit("/", 1)[1]))
    assert len(plan.request_ids) == 1
    assert db.session.get(PickupRequest, plan.request_ids[0]).source == "trade"
