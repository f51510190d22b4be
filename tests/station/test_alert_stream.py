"""Alert changes reach open pages: the stream sends `alert-changed` when an alert the page has
is acknowledged, filed, resolved or escalated after the page's cursor, for the tiers the user's
level sees, and a reconnect with Last-Event-ID picks up where it stopped."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from station.models import Alert
from station.services import alerts as service
from station.views.alerts import cursor, parse_cursor
from tests.station.pages import new_delivery, post, receive


@pytest.fixture
def quick(app):
    app.config.update(STATION_SSE_SECONDS=0, STATION_SSE_POLL_S=0, STATION_SSE_OVERLAP_S=0)


def page_cursor(pair) -> str:
    """The cursor the alerts page starts its stream from (what alerts-live.js sends)."""
    html = pair[0].get("/station/alerts").get_data(as_text=True)
    return re.search(r'id="alert-live"[^>]*data-after="([0-9]+-[0-9]+)"', html).group(1)


def read(pair, **headers) -> str:
    return (
        pair[0]
        .get(f"/station/alerts/stream?after={headers.pop('after', '')}", headers=headers)
        .get_data(as_text=True)
    )


def changes(body: str) -> list[dict]:
    return [
        json.loads(block.split("data: ", 1)[1])
        for block in body.split("\n\n")
        if block.startswith("event: alert-changed\n")
    ]


def last_id(body: str) -> str:
    return re.findall(r"^id: (\S+)$", body, re.M)[-1]


def test_state_changes_and_escalations_are_pushed_to_the_right_level(
    app, quick, manager, operator, station
):
    receive(operator, new_delivery(manager, station, number="SL-S1"), kg="5198")  # manual: tier 1
    receive(manager, new_delivery(manager, station, number="SL-S2"), kg="4900")  # far short
    low, high = db.session.scalars(sa.select(Alert).order_by(Alert.id)).all()
    assert (low.tier, high.tier >= 2) == (1, True)
    op_cursor, boss_cursor = page_cursor(operator), page_cursor(manager)
    assert changes(read(operator, after=op_cursor)) == []  # nothing changed since the page

    assert post(operator, f"/station/alerts/{low.id}/acknowledge").status_code == 302
    assert post(manager, f"/station/alerts/{high.id}/acknowledge").status_code == 302
    told = read(operator, after=op_cursor)
    assert [(c["id"], c["state"], c["state_name"]) for c in changes(told)] == [
        (low.id, "acknowledged", "已确认")
    ]  # the workshop's alert is not the shift leader's
    assert "event: alert\n" not in told  # nothing new, only the change
    boss = read(manager, after=boss_cursor)
    assert {c["id"] for c in changes(boss)} == {low.id, high.id}

    # Reconnecting with the last cursor resumes: the acknowledgement is not sent again, the
    # filing after it is.
    resume = last_id(told)
    assert changes(read(operator, **{"Last-Event-ID": resume})) == []
    filed = post(operator, f"/station/alerts/{low.id}/file", reason="车上残留料，已复核")
    assert filed.status_code == 302
    again = read(operator, **{"Last-Event-ID": resume})
    assert [(c["id"], c["state"]) for c in changes(again)] == [(low.id, "filed")]
    assert post(manager, f"/station/alerts/{low.id}/approve").status_code == 302
    resolved = changes(read(operator, **{"Last-Event-ID": last_id(again)}))
    assert [(c["id"], c["state"], c["state_name"]) for c in resolved] == [
        (low.id, "resolved", "已解决")
    ]

    # The escalation job moves an overdue alert up a tier: the manager is told with its tier.
    db.session.expire_all()
    high = db.session.get(Alert, high.id)
    high.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    mark = last_id(read(manager, after=boss_cursor))
    assert service.escalate_due(now=utcnow()) == [high.id]
    db.session.commit()
    escalated = changes(read(manager, **{"Last-Event-ID": mark}))
    assert [(c["id"], c["state"], c["escalations"]) for c in escalated] == [
        (high.id, "escalated", 1)
    ]
    db.session.expire_all()
    assert escalated[0]["tier"] == db.session.get(Alert, high.id).tier >= 2
    # the shift leader's stream still has only the alert of their tier
    assert [c["id"] for c in changes(read(operator, after=op_cursor))] == [low.id]


def test_a_new_alert_is_still_an_alert_and_the_cursor_follows_it(app, quick, manager, station):
    start = page_cursor(manager)
    receive(manager, new_delivery(manager, station, number="SL-S3"), kg="4900")
    alert = db.session.scalar(sa.select(Alert))
    body = read(manager, after=start)
    assert f"id: {alert.id}\nevent: alert\n" in body
    assert changes(body) == []  # raised, not changed
    after, _ = parse_cursor(last_id(body), utcnow())
    assert after == alert.id


def test_a_cursor_is_read_leniently():
    now = utcnow()
    assert parse_cursor("", now) == (0, now)
    assert parse_cursor("17", now) == (17, now)  # an old page's bare alert id
    assert parse_cursor("x-y", now) == (0, now)
    earlier = now - timedelta(seconds=3)
    after, since = parse_cursor(cursor(5, earlier), now)
    assert after == 5
    assert abs((since - earlier).total_seconds()) < 1e-5
    assert parse_cursor(cursor(5, now + timedelta(days=1)), now) == (5, now)  # never the future
