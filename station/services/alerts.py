"""Handling alerts: acknowledge, file a reason, approve or reject by the next level, and
escalate by themselves when their time limit passes.

The levels of the pure rules (shift leader, workshop, management) map onto the platform's
roles: a station operator is a shift leader (班组长), a station manager is workshop and
management at once (a station has few managers); the platform operator may act at every level.
One person never approves a reason they filed themselves.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit
from core.auth import Actor
from core.db import db
from core.enums import Role
from core.errors import Forbidden, NotFound
from core.i18n import N_
from station import alerts as rules
from station import hooks
from station.models import Alert
from station.services.common import readable, station_of


def level_of(actor: Actor) -> str:
    """The rules' level an actor acts at."""
    if actor.is_admin or actor.role is Role.MANAGER:
        return "management"
    if actor.role is Role.OPERATOR:
        return "shift_leader"
    raise Forbidden("只读用户不能处理预警")


def _pure(alert: Alert) -> rules.Alert:
    since = (
        alert.opened_at if alert.due_at is None else alert.due_at - rules.DEFAULT_LIMITS[alert.tier]
    )
    return rules.Alert(rules.State(alert.state), alert.tier, since, alert.resolution or None)


def get_alert(actor: Actor, alert_id: int, *, lock: bool = False) -> Alert:
    stmt = sa.select(Alert).where(Alert.id == alert_id)
    alert = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if alert is None:
        raise NotFound("预警不存在")
    readable(actor, alert.station_id)
    return alert


def act(
    actor: Actor, alert_id: int, action: rules.Action, *, reason: str = "", now: datetime
) -> Alert:
    """One step of an alert's handling, by the pure state table and the actor's level."""
    alert = get_alert(actor, alert_id, lock=True)
    station_of(actor, alert.station_id)  # only the station's own people (or the platform)
    action = rules.Action(action)
    if action is rules.Action.APPROVE and alert.resolved_by == actor.user_id:
        raise Forbidden("不能审批自己提交的处理原因", {"approver": "same person as the filer"})
    after = rules.move(_pure(alert), action, now=now, role=level_of(actor), reason=reason)
    alert.state, alert.updated_at = after.state.value, now  # the stream pushes the change
    if action is rules.Action.ACKNOWLEDGE:
        alert.acknowledged_by, alert.acknowledged_at = actor.user_id, now
    elif action is rules.Action.FILE:
        alert.resolution, alert.resolved_by, alert.resolved_at = after.reason, actor.user_id, now
    elif action is rules.Action.APPROVE:
        alert.approved_by, alert.approved_at = actor.user_id, now
    elif action is rules.Action.REJECT:
        alert.resolved_by, alert.resolved_at = None, None
    elif action is rules.Action.ESCALATE:  # by hand, once due: as the job would
        _escalated(alert, after, now)
    audit.record(
        f"alert.{action.value}",
        user_id=actor.user_id,
        organization_id=alert.station_id,
        target=f"alert:{alert.id}",
        state=alert.state,
        reason=reason[:500],
    )
    return alert


def _escalated(alert: Alert, after: rules.Alert, now: datetime) -> None:
    """An escalation: the next tier with its own time limit, counted, and announced."""
    alert.state, alert.tier, alert.updated_at = after.state.value, after.tier, now
    alert.escalations += 1
    alert.due_at = now + rules.DEFAULT_LIMITS[after.tier]
    hooks.announce(
        "station.alert",
        [alert.station_id],
        message=N_("回收站预警 #%(id)s 超时未处理，已升级为%(tier)s级"),
        params={"id": alert.id, "tier": alert.tier},
        link=f"/station/alerts/{alert.id}",
        payload={"alert_id": alert.id, "tier": alert.tier, "escalated": True},
    )


def escalate_due(*, now: datetime) -> list[int]:
    """Escalate every alert whose time limit has passed (the `station.escalate_due` job)."""
    due = db.session.scalars(
        sa.select(Alert)
        .where(
            Alert.state.in_([s.value for s in rules.DUE_STATES]),
            Alert.due_at <= now,
        )
        .order_by(Alert.id)
        .with_for_update(skip_locked=True)
    ).all()
    escalated = []
    for alert in due:
        _escalated(alert, rules.move(_pure(alert), rules.Action.ESCALATE, now=now), now)
        escalated.append(alert.id)
    return escalated


def open_alerts(actor: Actor, station_id: int, limit: int = 200) -> list[Alert]:
    """A station's alerts not yet resolved, highest tier and oldest first."""
    readable(actor, station_id)
    return list(
        db.session.scalars(
            sa.select(Alert)
            .where(Alert.station_id == station_id, Alert.state != rules.State.RESOLVED.value)
            .order_by(Alert.tier.desc(), Alert.id)
            .limit(limit)
        )
    )
