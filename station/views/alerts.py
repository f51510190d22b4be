"""Alerts: the list by tier and state, an alert's page with its handling (acknowledge, file a
reason, approve or reject by the next level, escalate) through the alert service, and a
server-sent-event stream that shows a new alert at once to the people it is for."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, request, url_for
from flask_babel import gettext

from core.access import access, request_actor
from core.db import db
from core.errors import Forbidden, Invalid
from core.time import utcnow
from station import alerts as rules
from station.models import Alert
from station.services import alerts as service
from station.views import ALERT_STATES, alert_reason, bp, reason_names
from station.views.common import STATION, WRITERS, attempt, done, render, sid, text


def visible_tiers() -> int:
    """The highest tier pushed to the user: the tiers whose handler is the user's level or one
    below it (the tier's level and above see it). A station operator is a shift leader, a
    manager is workshop and management at once (see station.services.alerts); a read-only user
    handles nothing and is shown every tier, as the list shows them."""
    try:
        rank = rules.RANK[service.level_of(request_actor())]
    except Forbidden:
        return rules.TOP
    return max(t for t, handler in rules.HANDLER.items() if rules.RANK[handler] <= rank)


@bp.get("/alerts")
@access(kinds=STATION)
def alerts() -> Any:
    """The station's alerts by tier and state (unresolved by default), highest tier first."""
    tier = text("tier", request.args)
    state = text("state", request.args) or "unresolved"
    stmt = sa.select(Alert).where(Alert.station_id == sid())
    if tier.isdigit() and int(tier) <= 3:
        stmt = stmt.where(Alert.tier == int(tier))
    if state == "unresolved":
        stmt = stmt.where(Alert.state != rules.State.RESOLVED.value)
    elif state in {s.value for s in rules.State}:
        stmt = stmt.where(Alert.state == state)
    rows = db.session.scalars(stmt.order_by(Alert.tier.desc(), Alert.id.desc()).limit(200)).all()
    return render(
        "alerts.html",
        rows=rows,
        tier=tier,
        state=state,
        states=list(rules.State),
    )


def alert_page(alert_id: int) -> str:
    """An alert with the handling steps its state allows; shown again when a step is refused."""
    alert = service.get_alert(request_actor(), alert_id)  # another station's: 403
    return render("alert.html", alert=alert, actions=list(rules.Action))


@bp.get("/alerts/<int:alert_id>")
@access(kinds=STATION)
def alert(alert_id: int) -> Any:
    """One alert and its handling."""
    return alert_page(alert_id)


@bp.post("/alerts/<int:alert_id>/<action>")
@access(kinds=STATION, roles=WRITERS)
def act(alert_id: int, action: str) -> Any:
    """One step of the alert's handling; the service refuses a step the state or the level
    does not allow (e.g. approving one's own reason), shown as the form's message."""

    def work() -> Alert:
        try:
            chosen = rules.Action(action)
        except ValueError as exc:
            raise Invalid("未知操作", {"action": "unknown"}) from exc
        return service.act(request_actor(), alert_id, chosen, reason=text("reason"), now=utcnow())

    return attempt(
        work,
        done(gettext("预警已更新。"), url_for("station.alert", alert_id=alert_id)),
        lambda: alert_page(alert_id),
    )


def _data(alert: Alert, link: str, names: dict[str, str], states: dict[str, str]) -> str:
    data = {
        "id": alert.id,
        "tier": alert.tier,
        "state": alert.state,
        "state_name": states.get(alert.state, alert.state),
        "escalations": alert.escalations,
        "reason": alert_reason(alert.reason, names),
        "url": link.replace("/0", f"/{alert.id}"),
    }
    return json.dumps(data, ensure_ascii=False)


def _event(alert: Alert, link: str, names: dict[str, str], states: dict[str, str]) -> str:
    return f"id: {alert.id}\nevent: alert\ndata: {_data(alert, link, names, states)}\n\n"


def new_alerts(
    station_id: int,
    after: int,
    top_tier: int,
    link: str,
    names: dict[str, str],
    states: dict[str, str] | None = None,
) -> list[tuple[int, str]]:
    """(id, event) of the station's alerts after `after` up to `top_tier`, oldest first."""
    rows = db.session.scalars(
        sa.select(Alert)
        .where(Alert.station_id == station_id, Alert.id > after, Alert.tier <= top_tier)
        .order_by(Alert.id)
        .limit(50)
    ).all()
    return [(alert.id, _event(alert, link, names, states or {})) for alert in rows]


# A change is committed a moment after the time it records: the stream looks this far back
# (STATION_SSE_OVERLAP_S) and drops what it already sent, so a slow commit is not skipped; a
# reconnect may repeat a change of those last seconds, which only sets the row again.
CHANGE_OVERLAP_S = 5.0


def cursor(after: int, since: datetime) -> str:
    """The stream's position as an SSE id: the last alert id seen and the time (µs since the
    epoch, UTC) up to which changes were seen — "42-1764630000000000"."""
    return f"{after}-{int(since.timestamp() * 1_000_000)}"


def parse_cursor(value: str, now: datetime) -> tuple[int, datetime]:
    """A cursor from Last-Event-ID or `?after=`; a bare alert id (or nothing) means changes
    from now on. Anything else is treated as nothing, never an error."""
    head, _, tail = value.partition("-")
    after = int(head) if head.isdigit() and int(head) < 2**31 else 0
    since = now
    if tail.isdigit() and len(tail) <= 17:
        since = min(now, datetime.fromtimestamp(int(tail) / 1_000_000, UTC))
    return after, since


def changed_alerts(
    station_id: int,
    after: int,
    since: datetime,
    overlap: timedelta,
    top_tier: int,
    sent: dict[int, datetime],
    link: str,
    names: dict[str, str],
    states: dict[str, str],
) -> tuple[datetime, list[str]]:
    """`alert-changed` events for the station's alerts up to `after` (the page has them) whose
    state or tier changed after `since`, for the tiers the user sees; `sent` (alert id → the
    change sent) keeps a change from going out twice. Returns the new `since` and the events."""
    rows = db.session.scalars(
        sa.select(Alert)
        .where(
            Alert.station_id == station_id,
            Alert.id <= after,
            Alert.updated_at > since - overlap,
            Alert.updated_at > Alert.opened_at,  # changed after it was raised
            Alert.tier <= top_tier,
        )
        .order_by(Alert.updated_at, Alert.id)
        .limit(50)
    ).all()
    events = []
    for alert in rows:
        since = max(since, alert.updated_at)
        if sent.get(alert.id) == alert.updated_at:
            continue
        sent[alert.id] = alert.updated_at
        data = _data(alert, link, names, states)
        events.append(f"event: alert-changed\ndata: {data}\n\n")
    return since, events


@bp.get("/alerts/stream")
@access(kinds=STATION)
def alert_stream() -> Any:
    """Server-sent events for the tiers my level handles: `alert` for every alert of my station
    newer than the last one the page saw, `alert-changed` when one the page has is acknowledged,
    filed, resolved, rejected or escalated. The stream ends after STATION_SSE_SECONDS with a
    retry hint, so it never pins a worker; each poll ends with the cursor (`cursor`) as the
    event id, so the browser reconnects with Last-Event-ID and misses nothing.

    Each poll runs in its own application context (its own database session, closed before the
    next event is sent), so the stream holds no connection or transaction while it waits."""
    station, top = sid(), visible_tiers()
    start = request.headers.get("Last-Event-ID") or request.args.get("after") or ""
    after, since = parse_cursor(start, utcnow())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    seconds = float(app.config.get("STATION_SSE_SECONDS", 25))
    poll = float(app.config.get("STATION_SSE_POLL_S", 1))
    overlap = timedelta(seconds=float(app.config.get("STATION_SSE_OVERLAP_S", CHANGE_OVERLAP_S)))
    link = url_for("station.alert", alert_id=0)
    names = reason_names()  # in the request's language, for the polls outside the request
    states = {k: gettext(v) for k, v in ALERT_STATES.items()}
    sent: dict[int, datetime] = {}

    def events() -> Iterator[str]:
        nonlocal after, since
        yield "retry: 2000\n\n"
        deadline = time.monotonic() + seconds
        while True:
            with app.app_context():
                found = new_alerts(station, after, top, link, names, states)
                since, changes = changed_alerts(
                    station, after, since, overlap, top, sent, link, names, states
                )
            yield from changes
            for alert_id, event in found:
                after = alert_id
                yield event
            yield f"id: {cursor(after, since)}\n\n"  # no data: moves Last-Event-ID only
            if time.monotonic() >= deadline:
                return
            yield ": keep-alive\n\n"
            time.sleep(poll)

    return Response(
        events(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
