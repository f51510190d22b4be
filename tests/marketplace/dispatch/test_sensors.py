"""Fill-level sensors: crossing the threshold creates one pickup request a day, bad readings
are refused by name, silent sensors are flagged; and the same over a real Mosquitto broker."""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind
from core.errors import Invalid, NotFound
from core.time import utcnow
from marketplace.dispatch import sensors
from marketplace.dispatch.models import FillSensor, PickupRequest
from tests.conftest import unavailable
from tests.factories import make_org
from tests.marketplace.conftest import add_site

MQTT_URL = os.environ.get("TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture
def container(app, catalogue):
    station = make_org(OrgKind.STATION, lat=22.95, lon=113.75)
    add_site(station, "大岭山回收站", 22.9, 113.84)
    factory = make_org(OrgKind.PRODUCER)
    site = add_site(factory, "长安一厂", 22.8164, 113.8033)
    sensor = FillSensor(
        key=f"c-{uuid.uuid4().hex[:8]}",
        organization_id=factory.id,
        site_id=site.id,
        capacity_kg=Decimal(800),
        threshold_pct=80,
    )
    db.session.add(sensor)
    db.session.commit()
    return sensor


def requests():
    return db.session.scalars(
        sa.select(PickupRequest).where(PickupRequest.source == "sensor")
    ).all()


def test_threshold_crossing_creates_one_request_a_day(container):
    now = utcnow()
    assert sensors.record_reading(container.key, Decimal("55.0"), now) is None
    made = sensors.record_reading(container.key, Decimal("82.5"), now + timedelta(minutes=5))
    db.session.commit()
    assert made is not None
    assert made.kg == Decimal("660.000")
    assert made.dest_kind == "station"
    assert made.site_name.endswith("长安一厂")
    # still above, falls and crosses again the same day: no second request
    assert sensors.record_reading(container.key, Decimal("90"), now + timedelta(minutes=10)) is None
    sensors.record_reading(container.key, Decimal("10"), now + timedelta(minutes=20))
    assert sensors.record_reading(container.key, Decimal("85"), now + timedelta(minutes=30)) is None
    # an older reading arriving late changes nothing
    assert sensors.record_reading(container.key, Decimal("99"), now) is None
    db.session.commit()
    assert len(requests()) == 1
    assert db.session.get(FillSensor, container.id).last_pct == Decimal("85.0")


def test_bad_readings_name_the_field_and_stale_sensors_are_flagged(container):
    now = utcnow()
    for payload, field in (
        (b"{", "payload"),
        (b"[1]", "payload"),
        (b'{"pct": "x"}', "pct"),
        (b'{"pct": 101}', "pct"),
        (b'{"pct": "NaN"}', "pct"),
        (b'{"pct": 50, "at": "yesterday"}', "at"),
        (b'{"pct": 50, "at": "2026-12-01T08:00:00"}', "at"),
    ):
        with pytest.raises(Invalid) as err:
            sensors.parse(payload, now)
        assert field in err.value.fields
    with pytest.raises(NotFound):
        sensors.record_reading("no-such-sensor", Decimal(50), now)
    assert sensors.handle("huanlian/fill/no-such-sensor", b'{"pct": 50}', now) is None
    assert sensors.stale(now) == [container]  # never heard from
    sensors.record_reading(container.key, Decimal(20), now)
    db.session.commit()
    assert sensors.stale(now + timedelta(minutes=30)) == []
    assert sensors.stale(now + timedelta(hours=3)) == [container]


def _broker_up() -> None:
    host, port = sensors._broker(MQTT_URL)
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        unavailable("Mosquitto", exc)


def test_readings_over_a_real_mosquitto_broker(app, container):
    _broker_up()
    client = sensors.listen(app, MQTT_URL)
    try:
        time.sleep(0.5)  # subscribed before the simulator publishes
        assert sensors.simulate(MQTT_URL, [(container.key, 40.0), (container.key, 88.0)]) == 2
        for _ in range(100):
            db.session.expire_all()
            if requests():
                break
            time.sleep(0.1)
    finally:
        client.loop_stop()
        client.disconnect()
    made = requests()
    assert len(made) == 1
    assert made[0].kg == Decimal("704.000")
    assert db.session.get(FillSensor, container.id).last_pct == Decimal("88.0")
