"""Quota alerts: tiers, repeat rules, the alert state machine and who is told.

**Tiers** grade an anomaly by x = |D| / C: tier 1 (shift leader) 1 < x ≤ 2, tier 2 (workshop)
2 < x ≤ 4, tier 3 (management) above 4 — or any value-cap breach. The thresholds are
configurable, and may instead be given on the deviation ratio |D| / A. A weighing without a
standard gives tier 0, an informational alert. Manual weight entry raises the tier by one (a
manual normal weighing becomes tier 1, so a shift leader looks at it), capped at 3. Grading
compares |D| with threshold × C exactly, so the boundaries 1, 2, 4 are never blurred by the
rounding of a division.

**Repeat rules** raise a new alert's tier when the same operator, line, vehicle or supplier
has had enough alerts of at least a tier recently: ≥ 3 tier-1 in a local calendar day → tier
2; ≥ 3 tier-2 in a rolling 7 days → tier 3. Counting is on the tiers as stored (after earlier
repeats), the new alert included, so the rules chain.

**States** are one transition table: open → acknowledged → filed (a reason) → resolved when
the next level approves (management approves its own tier-3 alerts: there is no level above);
a rejected reason goes back to acknowledged. An open, acknowledged or escalated alert whose
time limit for its tier has passed is escalated: tier + 1 (capped at 3) and a new time limit.
A filed alert waits for its approver and does not escalate. Illegal moves are a 409 naming
the allowed ones.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.errors import Conflict, Forbidden, Invalid
from station.quota import Check, Result

INFO, TIER_1, TIER_2, TIER_3 = 0, 1, 2, 3
TOP = TIER_3

# who handles an alert of a tier (tier 0: the shift leader reads the informational alert)
HANDLER = {INFO: "shift_leader", TIER_1: "shift_leader", TIER_2: "workshop", TIER_3: "management"}
RANK = {"shift_leader": 1, "workshop": 2, "management": 3}
# who is notified at each tier: the handler and the levels below it, who are accountable too
NOTIFY: dict[int, tuple[str, ...]] = {
    INFO: ("shift_leader",),
    TIER_1: ("shift_leader",),
    TIER_2: ("shift_leader", "workshop"),
    TIER_3: ("shift_leader", "workshop", "management"),
}
DEFAULT_LIMITS: dict[int, timedelta] = {
    INFO: timedelta(hours=24),
    TIER_1: timedelta(hours=4),
    TIER_2: timedelta(hours=24),
    TIER_3: timedelta(hours=72),
}


def notified(tier: int) -> tuple[str, ...]:
    """The roles told about an alert of `tier` (in the app at once, e-mail/webhook if set)."""
    return NOTIFY[tier]


def approver(tier: int) -> str:
    """The role that approves the resolution of a `tier` alert: the level above its handler."""
    return HANDLER[min(tier + 1, TOP)]


# ---- grading ----------------------------------------------------------------------------


class Basis(enum.StrEnum):
    """What the tier thresholds are measured on."""

    TOLERANCE = "tolerance"  # x = |D| / C
    DEVIATION = "deviation"  # r = |D| / A


@dataclass(frozen=True)
class Thresholds:
    """Tier 2 above `tier2_above`, tier 3 above `tier3_above` (tier 1 starts where C ends)."""

    basis: Basis = Basis.TOLERANCE
    tier2_above: Decimal = Decimal(2)
    tier3_above: Decimal = Decimal(4)

    def __post_init__(self) -> None:
        object.__setattr__(self, "basis", Basis(self.basis))
        for name in ("tier2_above", "tier3_above"):
            value = getattr(self, name)
            if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
                raise TypeError(f"{name} must be a Decimal")
            if not Decimal(value).is_finite() or value <= 0:
                raise Invalid("预警阈值必须大于 0", {name: "not positive"})
        if self.basis is Basis.TOLERANCE and self.tier2_above <= 1:
            # tier 1 is 1 < x ≤ tier2_above: x ≤ 1 is a normal weighing
            raise Invalid("二级预警阈值必须大于 1", {"tier2_above": "not above 1"})
        if self.tier3_above <= self.tier2_above:
            raise Invalid("三级预警阈值必须大于二级阈值", {"tier3_above": "not above tier 2"})


@dataclass(frozen=True)
class Grade:
    """An alert's tier and why: codes among tolerance, deviation, value_cap, no_standard,
    manual, repeat."""

    tier: int
    reasons: tuple[str, ...]


def grade(
    check: Check, *, manual: bool = False, thresholds: Thresholds | None = None
) -> Grade | None:
    """The alert a check raises, or None for a normal weighing read from the scale."""
    limits = thresholds or Thresholds()
    tier: int | None
    reasons: list[str] = []
    if check.result is Result.NO_STANDARD:
        tier, reasons = INFO, ["no_standard"]
    elif check.result is Result.NORMAL:
        tier = None
    else:
        assert check.d is not None  # an anomaly always has A, D and C
        assert check.c is not None
        assert check.a is not None
        deviation = abs(check.d)
        base = check.c if limits.basis is Basis.TOLERANCE else check.a
        reasons.append(limits.basis.value)
        if base == 0 or deviation > limits.tier3_above * base:
            tier = TIER_3
        elif deviation > limits.tier2_above * base:
            tier = TIER_2
        else:
            tier = TIER_1
        if check.value_cap_breach:
            tier = TIER_3
            reasons.append("value_cap")
    if manual:
        tier = TIER_1 if tier is None else min(tier + 1, TOP)
        reasons.append("manual")
    return None if tier is None else Grade(tier, tuple(reasons))


# ---- repeat rules -----------------------------------------------------------------------

DIMENSIONS = ("operator", "line", "vehicle", "supplier")


@dataclass(frozen=True)
class AlertEvent:
    """An alert as the repeat rules see it: when, its stored tier, and whom it concerns."""

    at: datetime
    tier: int
    operator: str | None = None
    line: str | None = None
    vehicle: str | None = None
    supplier: str | None = None


@dataclass(frozen=True)
class RepeatRule:
    """`count` alerts of tier ≥ `tier` for one dimension within the window raise to `raise_to`.

    `calendar` True: the window is `days` local calendar days ending with the new alert's day;
    False: the rolling `days` × 24 h ending at the new alert.
    """

    tier: int
    count: int
    days: int
    calendar: bool
    raise_to: int

    def __post_init__(self) -> None:
        if not TIER_1 <= self.tier < self.raise_to <= TOP:
            raise Invalid("重复规则的级别无效", {"raise_to": "not above tier, at most 3"})
        if self.count < 2:
            raise Invalid("重复次数至少为 2", {"count": "below 2"})
        if not 1 <= self.days <= 366:
            raise Invalid("统计天数必须在 1 至 366 之间", {"days": "not in 1..366"})


DEFAULT_REPEAT_RULES = (
    RepeatRule(tier=TIER_1, count=3, days=1, calendar=True, raise_to=TIER_2),
    RepeatRule(tier=TIER_2, count=3, days=7, calendar=False, raise_to=TIER_3),
)


@dataclass(frozen=True)
class Trigger:
    """A repeat rule that fired: on which dimension and value, with how many alerts."""

    rule: RepeatRule
    dimension: str
    value: str
    count: int


@dataclass(frozen=True)
class Repeat:
    """The new alert's tier after the repeat rules, and the rules that raised it."""

    tier: int
    triggers: tuple[Trigger, ...]


def repeats(
    new: AlertEvent,
    recent: Sequence[AlertEvent],
    rules: Sequence[RepeatRule] = DEFAULT_REPEAT_RULES,
    tz: str = "Asia/Shanghai",
) -> Repeat:
    """Apply the repeat rules to `new` given the `recent` alerts (others are ignored).

    Rules run in ascending order of tier so that a raise can trigger the next rule; alerts
    after `new` do not count; tier-0 (informational) alerts never count.
    """
    zone = ZoneInfo(tz)
    if new.at.tzinfo is None:
        raise ValueError("alert times must be timezone-aware")
    tier = new.tier
    triggers: list[Trigger] = []
    for rule in sorted(rules, key=lambda r: r.tier):
        if tier < rule.tier or tier >= rule.raise_to:
            continue
        in_window = [e for e in recent if e.tier >= rule.tier and _within(e.at, new.at, rule, zone)]
        for dimension in DIMENSIONS:
            value = getattr(new, dimension)
            if value is None:
                continue
            count = 1 + sum(1 for e in in_window if getattr(e, dimension) == value)
            if count >= rule.count:
                triggers.append(Trigger(rule, dimension, value, count))
                tier = rule.raise_to
        # a raise by this rule is visible to the next one (tiers as stored chain the same way)
    return Repeat(tier, tuple(triggers))


def _within(at: datetime, new_at: datetime, rule: RepeatRule, zone: ZoneInfo) -> bool:
    if at > new_at:
        return False
    if rule.calendar:
        last = new_at.astimezone(zone).date()
        return 0 <= (last - at.astimezone(zone).date()).days < rule.days
    return new_at - at < timedelta(days=rule.days)


# ---- the state machine ------------------------------------------------------------------


class State(enum.StrEnum):
    """Where an alert is in its handling."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    FILED = "filed"  # a reason is filed and waits for the next level's approval
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class Action(enum.StrEnum):
    """What can be done to an alert."""

    ACKNOWLEDGE = "acknowledge"
    FILE = "file"
    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"


TRANSITIONS: dict[State, dict[Action, State]] = {
    State.OPEN: {Action.ACKNOWLEDGE: State.ACKNOWLEDGED, Action.ESCALATE: State.ESCALATED},
    State.ACKNOWLEDGED: {Action.FILE: State.FILED, Action.ESCALATE: State.ESCALATED},
    State.FILED: {Action.APPROVE: State.RESOLVED, Action.REJECT: State.ACKNOWLEDGED},
    State.ESCALATED: {Action.ACKNOWLEDGE: State.ACKNOWLEDGED, Action.ESCALATE: State.ESCALATED},
    State.RESOLVED: {},
}
DUE_STATES = frozenset(s for s, moves in TRANSITIONS.items() if Action.ESCALATE in moves)
MAX_REASON = 500


@dataclass(frozen=True)
class Alert:
    """An alert's handling state; `since` is when its current tier's time limit started."""

    state: State
    tier: int
    since: datetime
    reason: str | None = None

    @classmethod
    def raised(cls, tier: int, at: datetime) -> Alert:
        """A new open alert of `tier` raised at `at`."""
        if tier not in HANDLER:
            raise ValueError(f"unknown tier {tier}")
        return cls(State.OPEN, tier, at)


def allowed(state: State) -> tuple[Action, ...]:
    """The actions possible from `state`."""
    return tuple(TRANSITIONS[state])


def due(alert: Alert, now: datetime, limits: Mapping[int, timedelta] = DEFAULT_LIMITS) -> bool:
    """Whether the alert's time limit has passed (at the limit itself it is due)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return alert.state in DUE_STATES and now >= alert.since + limits[alert.tier]


def move(
    alert: Alert,
    action: Action,
    *,
    now: datetime,
    role: str | None = None,
    reason: str | None = None,
    limits: Mapping[int, timedelta] = DEFAULT_LIMITS,
) -> Alert:
    """The alert after `action` by `role`; an illegal move is a Conflict naming the allowed.

    Acknowledging and filing need the tier's handler or above; approving and rejecting the
    approver (the level above) or above; escalating needs no role but a passed time limit.
    """
    action = Action(action)
    moves = TRANSITIONS[alert.state]
    if action not in moves:
        options = ", ".join(a.value for a in moves) or "—"
        raise Conflict(
            "预警处于“%(state)s”状态，不能执行“%(action)s”；允许：%(options)s",
            {"action": f"allowed: {options}"},
            state=alert.state.value,
            action=action.value,
            options=options,
        )
    target = moves[action]
    if action is Action.ESCALATE:
        if not due(alert, now, limits):
            raise Conflict("预警尚未超过处理时限", {"action": "not due"})
        return Alert(target, min(alert.tier + 1, TOP), now)
    needed = (
        approver(alert.tier) if action in (Action.APPROVE, Action.REJECT) else HANDLER[alert.tier]
    )
    if role not in RANK or RANK[role] < RANK[needed]:
        raise Forbidden(
            "此操作需要 %(needed)s 或更高级别", {"role": f"needs {needed}"}, needed=needed
        )
    if action is Action.FILE:
        text = (reason or "").strip()
        if not text:
            raise Invalid("请填写处理原因", {"reason": "required"})
        if len(text) > MAX_REASON:
            raise Invalid("处理原因不能超过 500 字", {"reason": "too long"})
        return replace(alert, state=target, reason=text)
    if action is Action.REJECT:
        return replace(alert, state=target, reason=None)
    return replace(alert, state=target)
