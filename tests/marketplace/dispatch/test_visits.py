"""Consecutive stops at one place are one visit: three lots delivered to the station in a row
show as one stop with three lots on the timeline, the plan table, the run sheet, the driver's
page and the map, while each lot keeps its own row (and its own confirmation)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from core.db import db
from marketplace.dispatch import geo, services
from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop, VehicleDriver
from marketplace.dispatch.visits import group
from tests.factories import login
from tests.marketplace.dispatch.conftest import DAY

STATION = ("大岭山回收站", 22.90, 113.84)


def _stop(kind: str, site: str, dest: str = "", seq: int = 0, start: int = 0) -> SimpleNamespace:
    request = SimpleNamespace(
        site_name=site, lat=1.0, lon=2.0, dest_name=dest, dest_lat=3.0, dest_lon=4.0,
        service_s=600, kg=Decimal("100"), hazardous=False, hw_codes=[],
    )  # fmt: skip
    return SimpleNamespace(kind=kind, request=request, seq=seq, start_s=start, load_kg=None,
                           confirmed_at=None)  # fmt: skip


def test_group_joins_only_consecutive_stops_of_one_kind_at_one_place():
    stops = [
        _stop("pickup", "A"),
        _stop("pickup", "B"),
        _stop("delivery", "A", "站", start=3600),
        _stop("delivery", "B", "站", start=4200),
        _stop("pickup", "A"),  # back at A: a new visit
        _stop("delivery", "A", "厂"),
    ]
    visits = group(stops)
    assert [(v.number, v.kind, v.place, len(v.stops)) for v in visits] == [
        (1, "pickup", "A", 1),
        (2, "pickup", "B", 1),
        (3, "delivery", "站", 2),
        (4, "pickup", "A", 1),
        (5, "delivery", "厂", 1),
    ]
    assert visits[2].service_s == 4200 - 3600 + 600
    assert visits[2].kg == Decimal("200")
    assert group([]) == []


def _requests(carrier) -> list[PickupRequest]:
    rows = []
    for k, (lat, lon) in enumerate(((22.80, 113.67), (22.81, 113.68), (22.80, 113.69))):
        row = PickupRequest(
            source="lot",
            source_id=900 + k,
            day=DAY,
            organization_id=carrier.organization_id,
            site_name=f"长安工厂{k + 1}",
            lat=lat,
            lon=lon,
            kg=Decimal("1500"),
            m3=Decimal("6"),
            window_start_s=8 * 3600,
            window_end_s=17 * 3600,
            dest_kind="station",
            dest_name=STATION[0],
            dest_lat=STATION[1],
            dest_lon=STATION[2],
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def test_three_lots_delivered_to_the_station_show_as_one_stop(app, carrier):
    big = carrier.vehicles[3]
    reqs = _requests(carrier)
    plan = RoutePlan(
        organization_id=carrier.organization_id,
        day=DAY,
        vehicle_ids=[big.id],
        request_ids=[r.id for r in reqs],
        time_limit_s=1,
    )
    db.session.add(plan)
    db.session.flush()
    services.solve(plan.id)
    db.session.add(VehicleDriver(plan_id=plan.id, vehicle_id=big.id, user_id=carrier.driver.id))
    plan.state = "published"
    plan.day = DAY
    db.session.commit()
    rows = db.session.query(RouteStop).filter_by(plan_id=plan.id).all()
    assert len(rows) == 6  # one row per lot and action is kept
    (run,) = [r for r in services.runs(plan) if r.stops]
    kinds = [(v.kind, len(v.stops)) for v in run.visits]
    assert kinds[-1] == ("delivery", 3), kinds  # the station once, with its three lots
    assert len(run.visits) == 4
    points = [f for f in geo.routes(plan, [run])["features"] if f["geometry"]["type"] == "Point"]
    assert [p["properties"]["seq"] for p in points] == [1, 2, 3, 4]
    assert points[-1]["properties"]["lots"] == 3

    client = app.test_client()
    login(client, carrier.username)
    page = client.get(f"/dispatch/plans/{plan.id}").get_data(as_text=True)
    assert page.count('data-testid="visit"') == 4
    assert page.count('data-testid="visit-lot"') == 6
    assert "3 批" in page
    timeline = page[page.index('data-testid="timeline"') : page.index('data-testid="run"')]
    assert timeline.count("dispatch-bar") == 4
    assert 'data-lots="3"' in timeline
    sheet = client.get(f"/dispatch/plans/{plan.id}/vehicles/{big.id}/sheet").get_data(as_text=True)
    assert sheet.count('data-testid="visit"') == 4
    assert sheet.count('data-testid="visit-lot"') == 6
    assert sheet.count(STATION[0]) == 1
    driver = app.test_client()
    login(driver, carrier.driver.username)
    from marketplace.dispatch.views import _today  # the driver page lists today's runs

    with app.test_request_context():
        plan.day = _today()
    db.session.commit()
    mine = driver.get("/driver").get_data(as_text=True)
    assert mine.count('data-testid="driver-stop"') == 4
    assert mine.count('data-testid="confirm-form"') == 6  # each lot is confirmed on its own
    assert "本站 3 批" in mine
