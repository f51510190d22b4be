"""The dispatch API with bearer tokens: plan, poll, move (violations in the answer), publish,
confirm; bad input answered 422 naming the field, another company's plan 404."""

from __future__ import annotations

import time

from tests.factories import bearer, make_org, make_user
from tests.marketplace.dispatch.conftest import DAY

API = "/api/v1/dispatch"


def test_plan_move_publish_confirm_over_the_api(client, carrier, scheduled, outbound):
    h = carrier.headers
    ids = [v.id for v in carrier.vehicles]
    for body, field in (
        ({"day": "2026-02-30", "vehicle_ids": ids}, "day"),
        ({"day": DAY.isoformat(), "vehicle_ids": ids, "time_limit_s": 0}, "time_limit_s"),
        ({"day": DAY.isoformat()}, "vehicle_ids"),
    ):
        bad = client.post(f"{API}/plans", json=body, headers=h)
        assert bad.status_code == 422, bad.json
        assert field in str(bad.json)
    empty = client.post(f"{API}/plans", json={"day": DAY.isoformat(), "vehicle_ids": []}, headers=h)
    assert empty.status_code == 422
    assert "vehicle_ids" in str(empty.json)
    started = client.post(
        f"{API}/plans",
        json={"day": DAY.isoformat(), "vehicle_ids": ids, "time_limit_s": 2},
        headers=h,
    )
    assert started.status_code == 202, started.json
    url = f"{API}/plans/{started.json['id']}"
    for _ in range(300):
        plan = client.get(url, headers=h).json
        if plan["state"] != "planning":
            break
        time.sleep(0.2)
    assert plan["state"] == "draft"
    assert plan["valid"]
    trade_pickup = next(
        s for s in plan["stops"] if s["kind"] == "pickup" and s["load_kg"] == "12500.000"
    )
    van = carrier.vehicles[0].id
    moved = client.post(
        f"{url}/moves",
        json={"stop_id": trade_pickup["id"], "vehicle_id": van, "position": 0},
        headers=h,
    )
    assert moved.status_code == 200
    assert not moved.json["valid"]
    assert any("over capacity" in v for v in moved.json["violations"])
    assert client.post(f"{url}/publish", headers=h).status_code == 409
    back = client.post(
        f"{url}/moves",
        json={
            "stop_id": trade_pickup["id"],
            "vehicle_id": trade_pickup["vehicle_id"],
            "position": 0,
        },
        headers=h,
    )
    assert back.json["valid"]
    assert client.post(f"{url}/publish", headers=h).json["state"] == "published"
    stranger = make_user(make_org(kind=carrier.organization.kind))
    assert client.get(url, headers=bearer(stranger)).status_code == 404
    confirm = f"{API}/stops/{trade_pickup['id']}/confirm"
    for kg in ("0", "-1", "abc", "1.2345", "1000000"):
        wrong = client.post(confirm, json={"kg": kg}, headers=h)
        assert wrong.status_code == 422, (kg, wrong.json)
        assert "kg" in str(wrong.json)
    done = client.post(confirm, json={"kg": "12480.5"}, headers=h)  # the manager may confirm
    assert done.status_code == 200, done.json
    assert done.json["confirmed_kg"] == "12480.500"
