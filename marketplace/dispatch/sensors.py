"""Fill-level sensors: containers at factories report how full they are over MQTT; a reading
that crosses the container's threshold creates that day's pickup request, and a sensor that
has not reported for `STALE_AFTER` is flagged.

Topic ``huanlian/fill/<sensor key>``, payload JSON ``{"pct": 83.5, "at": "<ISO 8601>"}`` (`at`
optional: the receipt time). `record_reading` is the whole rule and needs no broker; `listen`
subscribes a paho client on a real broker (Mosquitto; `MQTT_URL`, e.g. mqtt://127.0.0.1:1883)
and hands each message to it in an app context; `simulate` publishes readings for the demo.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from core.catalogue import Category
from core.db import db
from core.errors import DomainError, Invalid, NotFound
from core.models import Organization
from core.time import utcnow
from marketplace.dispatch import sources
from marketplace.dispatch.models import FillSensor, PickupRequest

log = logging.getLogger(__name__)
TOPIC = "huanlian/fill"
STALE_AFTER = timedelta(hours=2)
TZ = "Asia/Shanghai"


def parse(payload: bytes, now: datetime) -> tuple[Decimal, datetime]:
    """(percent, time) of a message; 422 naming `pct` or `at` when it is not a reading."""
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Invalid("读数不是 JSON", {"payload": "not JSON"}) from None
    if not isinstance(body, dict):
        raise Invalid("读数不是 JSON 对象", {"payload": "not an object"})
    try:
        pct = Decimal(str(body.get("pct")))
    except InvalidOperation:
        raise Invalid("满溢度应为 0–100 的数字", {"pct": "not a number"}) from None
    if not pct.is_finite() or not 0 <= pct <= 100:
        raise Invalid("满溢度应为 0–100 的数字", {"pct": "out of range"})
    at = now
    if body.get("at") is not None:
        try:
            at = datetime.fromisoformat(str(body["at"]))
        except ValueError:
            raise Invalid("时间格式无效", {"at": "not ISO 8601"}) from None
        if at.tzinfo is None:
            raise Invalid("时间须带时区", {"at": "naive time"})
    return pct.quantize(Decimal("0.1")), at


def record_reading(key: str, pct: Decimal, at: datetime) -> PickupRequest | None:
    """Store a reading; the first crossing of the threshold on a day adds the pickup request
    (the container's content at that fill, to the nearest station). Older readings than the
    last one are ignored (MQTT does not promise order across reconnects)."""
    sensor = db.session.scalar(sa.select(FillSensor).where(FillSensor.key == key).with_for_update())
    if sensor is None:
        raise NotFound("传感器不存在")
    if sensor.last_seen_at is not None and at < sensor.last_seen_at:
        return None
    before = sensor.last_pct
    sensor.last_pct, sensor.last_seen_at = pct, at
    crossed = pct >= sensor.threshold_pct and (before is None or before < sensor.threshold_pct)
    if not crossed:
        return None
    day = at.astimezone(ZoneInfo(TZ)).date()
    exists = db.session.scalar(
        sa.select(PickupRequest.id).where(
            PickupRequest.source == "sensor",
            PickupRequest.source_id == sensor.id,
            PickupRequest.day == day,
        )
    )
    if exists:
        return None
    site = sensor.site
    org = db.session.get(Organization, sensor.organization_id)
    category = db.session.get(Category, sensor.category_id) if sensor.category_id else None
    kg = (sensor.capacity_kg * pct / 100).quantize(Decimal("0.001"))
    start, end = sources.window(site.opening_hours)
    row = PickupRequest(
        source="sensor",
        source_id=sensor.id,
        day=day,
        organization_id=sensor.organization_id,
        cluster_id=org.cluster_id if org else None,
        site_name=sources.place(org, site.name) if org else site.name,
        lat=site.lat,
        lon=site.lon,
        kg=kg,
        m3=sources.volume(kg),
        window_start_s=start,
        window_end_s=end,
        hazardous=bool(category and category.hazardous),
        hw_codes=list(category.hw_codes) if category else [],
    )
    db.session.add(sources.to_station(row, sources.stations()))
    db.session.flush()
    return row


def stale(now: datetime, sensors: Iterable[FillSensor] | None = None) -> list[FillSensor]:
    """Sensors silent for longer than STALE_AFTER (or never heard from)."""
    rows = sensors if sensors is not None else db.session.scalars(sa.select(FillSensor))
    return [s for s in rows if s.last_seen_at is None or now - s.last_seen_at > STALE_AFTER]


def handle(topic: str, payload: bytes, now: datetime) -> PickupRequest | None:
    """One MQTT message, committed; a bad one is logged and dropped (never crashes the loop)."""
    key = topic.rsplit("/", 1)[-1]
    try:
        pct, at = parse(payload, now)
        made = record_reading(key, pct, at)
        db.session.commit()
        return made
    except DomainError as err:
        db.session.rollback()
        log.warning("fill reading on %s refused: %s %s", topic, err.message, err.fields)
        return None


def _broker(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


def listen(app: Flask, url: str) -> Any:
    """Subscribe to every sensor's topic on the broker; returns the running paho client
    (call `loop_stop()` and `disconnect()` to end)."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="huanlian-fill")

    def on_connect(c: Any, _u: Any, _f: Any, _rc: Any, _p: Any = None) -> None:
        c.subscribe(f"{TOPIC}/#", qos=1)

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        with app.app_context():
            try:
                handle(msg.topic, msg.payload, utcnow())
            finally:
                db.session.remove()

    client.on_connect, client.on_message = on_connect, on_message
    host, port = _broker(url)
    client.connect(host, port)
    client.loop_start()
    return client


def simulate(url: str, readings: Iterable[tuple[str, float]]) -> int:
    """Publish (sensor key, percent) readings — the demo's stand-in for real containers."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="huanlian-fill-sim")
    host, port = _broker(url)
    client.connect(host, port)
    client.loop_start()
    n = 0
    for key, pct in readings:
        body = json.dumps({"pct": pct, "at": utcnow().isoformat()})
        client.publish(f"{TOPIC}/{key}", body, qos=1).wait_for_publish(5)
        n += 1
    client.loop_stop()
    client.disconnect()
    return n
