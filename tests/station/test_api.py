"""The station's API end to end with a real scale: a simulator writes ST,GS frames on a
pseudo-terminal, the platform's driver reads them, and a receive takes its stable weight
(with the frame's hash) — or is refused while the platform does not settle."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from station.models import Weighing
from station.scales.registry import REGISTRY, config_of
from station.scales.simulator import SimulatedScale, Simulator, Step
from tests.factories import bearer


@pytest.fixture
def pty_scale(station):
    """The station's weighbridge wired to a simulator showing a steady 5,198 kg (e = 1 kg)."""
    scale = station.scale
    scale.protocol, scale.division_g, scale.variant = "st-gs", 1000, None
    db.session.commit()
    base = config_of(scale)
    sim = Simulator(base, SimulatedScale(base, [Step(Decimal("5198"))]), rate_hz=20)
    path = sim.open_pty()
    scale.port = path
    db.session.commit()
    sim.start()
    yield scale, sim
    sim.stop()
    REGISTRY.close_all()


@pytest.fixture
def headers(app, station):
    from core.models import User

    user = db.session.get(User, station.operator.user_id)
    return bearer(user)


def test_receive_reads_the_stable_weight_from_the_scale(client, station, pty_scale, headers):
    scale, _ = pty_scale
    delivery = client.post(
        "/api/v1/station/deliveries",
        headers=headers,
        json={
            "station_id": station.org.id,
            "factory_id": station.factory.id,
            "number": "SL-API-1",
            "grade": "PL-MIXED",
            "record_ids": [station.record.id],
            "vehicle_plate": "粤S12345",
        },
    )
    assert delivery.status_code == 201, delivery.json
    reading = client.get(f"/api/v1/station/scales/{scale.id}/reading", headers=headers)
    assert reading.status_code == 200
    received = client.post(
        f"/api/v1/station/deliveries/{delivery.json['id']}/receive",
        headers=headers,
        json={
            "weight": {"scale_id": scale.id},
            "tares": [{"kind": "vehicle", "ref": "粤S12345"}],
        },
    )
    assert received.status_code == 201, received.json
    body = received.json
    assert (body["gross_kg"], body["net_kg"], body["standard_kg"]) == (
        "5198.000",
        "998.000",
        "1000.000",
    )
    assert body["result"] == "normal"
    assert len(body["raw_sha256"]) == 64
    row = db.session.get(Weighing, body["id"])
    assert row.scale_id == scale.id
    assert row.manual is False


def test_bad_weight_input_is_refused_naming_the_field(client, station, headers):
    both = client.post(
        "/api/v1/station/deliveries/1/receive",
        headers=headers,
        json={"weight": {"scale_id": station.scale.id, "manual_kg": "5"}},
    )
    assert both.status_code == 422
    assert "weight.scale_id" in both.json["error"]["fields"]
    precise = client.post(
        "/api/v1/station/deliveries/1/receive",
        headers=headers,
        json={"weight": {"manual_kg": "1.0001", "manual_reason": "秤坏了"}},
    )
    assert precise.status_code == 422
    assert "weight.manual_kg" in precise.json["error"]["fields"]
    nothing = db.session.scalar(sa.select(sa.func.count(Weighing.id)))
    assert nothing == 0


def test_an_unconnected_scale_is_a_clear_refusal(client, app, station, headers):
    app.config["STATION_SCALE_WAIT_S"] = 0.3
    station.scale.port = "/dev/does-not-exist"
    db.session.commit()
    delivery = client.post(
        "/api/v1/station/deliveries",
        headers=headers,
        json={
            "station_id": station.org.id,
            "factory_id": station.factory.id,
            "number": "SL-API-2",
            "grade": "PL-MIXED",
            "record_ids": [],
        },
    )
    refused = client.post(
        f"/api/v1/station/deliveries/{delivery.json['id']}/receive",
        headers=headers,
        json={"weight": {"scale_id": station.scale.id}},
    )
    REGISTRY.close_all()
    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"scale_id": "disconnected"}
    assert "秤未连接" in refused.json["error"]["message"]
