"""Alert tiers at their boundaries, manual entry, repeat rules, the state machine, notification."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from core.errors import Conflict, Forbidden, Invalid
from station.alerts import (
    DEFAULT_LIMITS,
    NOTIFY,
    TRANSITIONS,
    Action,
    Alert,
    AlertEvent,
    Basis,
    RepeatRule,
    State,
    Thresholds,
    approver,
    due,
    grade,
    move,
    notified,
    repeats,
)
from station.quota import check
from station.tolerance import Band, Tolerance
from station.tolerance import Basis as TolBasis

E = D("0.005")
TEN_KG = Tolerance(Band(TolBasis.ABSOLUTE, absolute_kg=D(10)))
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def tier_of(b: str, a: str = "1000", **kw):
    g = grade(check(D(a), D(b), TEN_KG, division_kg=E), **kw)
    return None if g is None else g.tier


@pytest.mark.parametrize(
    ("b", "tier"),
    [
        ("990.000", None),  # x = 1: normal
        ("1010.000", None),
        ("989.999", 1),  # x just above 1
        ("980.000", 1),  # x = 2 exactly: still tier 1
        ("979.999", 2),
        ("1020.001", 2),  # excess grades the same way
        ("960.000", 2),  # x = 4 exactly: still tier 2
        ("959.999", 3),
        ("0", 3),
    ],
)
def test_tiers_by_x_at_the_exact_boundaries(b, tier) -> None:
    assert tier_of(b) == tier


def test_thresholds_are_configurable() -> None:
    t = Thresholds(tier2_above=D("1.5"), tier3_above=D(3))
    assert tier_of("985.000", thresholds=t) == 1  # x = 1.5
    assert tier_of("984.999", thresholds=t) == 2
    assert tier_of("970.000", thresholds=t) == 2  # x = 3
    assert tier_of("969.999", thresholds=t) == 3


def test_thresholds_on_the_deviation_ratio() -> None:
    """On |D| / A: 5 % and 10 % of a 1,000 kg standard are 50 kg and 100 kg."""
    t = Thresholds(Basis.DEVIATION, tier2_above=D("0.05"), tier3_above=D("0.10"))
    assert tier_of("950.000", thresholds=t) == 1
    assert tier_of("949.999", thresholds=t) == 2
    assert tier_of("900.000", thresholds=t) == 2
    assert tier_of("899.999", thresholds=t) == 3
    assert tier_of("990", thresholds=t) is None  # normal is still decided by C
    g = grade(check(D(0), D(50), TEN_KG, division_kg=E), thresholds=t)
    assert g.tier == 3  # nothing was expected: any anomaly is the top tier


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"tier2_above": D(1)}, "tier2_above"),
        ({"tier2_above": D(3), "tier3_above": D(3)}, "tier3_above"),
        ({"tier2_above": D(-1)}, "tier2_above"),
    ],
)
def test_bad_thresholds_are_refused(kw, field) -> None:
    with pytest.raises(Invalid) as err:
        Thresholds(**kw)
    assert field in err.value.fields


def test_a_value_cap_breach_is_tier_3_whatever_x() -> None:
    tol = Tolerance(Band(TolBasis.ABSOLUTE, absolute_kg=D(10)), value_cap_fen=10_000)
    result = check(D(100), D("98.4"), tol, division_kg=E, unit_price_fen=6530)  # cap 1.531 kg
    assert result.x < 2
    g = grade(result)
    assert (g.tier, g.reasons) == (3, ("tolerance", "value_cap"))


def test_no_standard_is_an_informational_alert() -> None:
    g = grade(check(None, D(500), TEN_KG, division_kg=E))
    assert (g.tier, g.reasons) == (0, ("no_standard",))


def test_manual_entry_raises_the_tier_by_one_capped_at_3() -> None:
    assert tier_of("1000", manual=True) == 1  # a manual normal weighing: the shift leader looks
    assert tier_of("985", manual=True) == 2
    assert tier_of("970", manual=True) == 3
    assert tier_of("900", manual=True) == 3
    g = grade(check(None, D(5), TEN_KG, division_kg=E), manual=True)
    assert (g.tier, g.reasons) == (1, ("no_standard", "manual"))


# ---- repeat rules -----------------------------------------------------------------------


def event(hours: float, tier: int = 1, **who) -> AlertEvent:
    return AlertEvent(T0 + timedelta(hours=hours), tier, **who)


def test_the_third_tier_1_in_a_local_day_becomes_tier_2() -> None:
    first, second = event(0, operator="张三"), event(1, operator="张三")
    assert repeats(second, [first]).tier == 1
    third = event(2, operator="张三")
    result = repeats(third, [first, second])
    assert result.tier == 2
    (trigger,) = result.triggers
    assert (trigger.dimension, trigger.value, trigger.count) == ("operator", "张三", 3)


def test_repeats_count_per_dimension_value() -> None:
    recent = [
        event(0, operator="张三", vehicle="粤S·1"),
        event(1, operator="李四", vehicle="粤S·1"),
    ]
    result = repeats(event(2, operator="王五", vehicle="粤S·1"), recent)
    assert result.tier == 2
    assert [t.dimension for t in result.triggers] == ["vehicle"]
    assert repeats(event(2, operator="王五", vehicle="粤S·2"), recent).tier == 1


def test_the_day_is_the_local_calendar_day() -> None:
    """Shanghai midnight is 16:00 UTC: 15:30 and 16:30 UTC are different local days."""
    late = T0.replace(hour=15, minute=30)  # 23:30 local
    recent = [AlertEvent(late - timedelta(hours=1), 1, line="L1"), AlertEvent(late, 1, line="L1")]
    assert repeats(AlertEvent(late + timedelta(minutes=20), 1, line="L1"), recent).tier == 2
    next_day = AlertEvent(late + timedelta(hours=1), 1, line="L1")  # 00:30 local
    assert repeats(next_day, recent).tier == 1


def test_the_third_tier_2_in_7_days_becomes_tier_3() -> None:
    recent = [event(-24 * 6, 2, supplier="某纸业"), event(-24 * 3, 2, supplier="某纸业")]
    assert repeats(event(0, 2, supplier="某纸业"), recent).tier == 3
    old = [event(-24 * 7, 2, supplier="某纸业"), event(-24 * 3, 2, supplier="某纸业")]
    assert repeats(event(0, 2, supplier="某纸业"), old).tier == 2  # exactly 7 days ago is out


def test_repeat_rules_chain_and_count_higher_tiers() -> None:
    """A tier-2 and a tier-1 today after a tier-2 this week: the new tier-1, the third alert
    of the day, goes to tier 2 and, being the third tier-2 of the week, on to tier 3."""
    recent = [
        event(-48, 2, operator="张三"),
        event(-1, 2, operator="张三"),
        event(-0.5, 1, operator="张三"),
    ]
    result = repeats(event(0, 1, operator="张三"), recent)
    assert result.tier == 3
    assert [t.rule.raise_to for t in result.triggers] == [2, 3]


def test_later_and_informational_alerts_do_not_count() -> None:
    recent = [event(1, operator="张三"), event(2, operator="张三"), event(-1, 0, operator="张三")]
    assert repeats(event(0, operator="张三"), recent).tier == 1
    assert repeats(event(0, 0, operator="张三"), [event(-1, operator="张三")] * 5).tier == 0


def test_repeat_rules_are_configurable() -> None:
    rules = [RepeatRule(tier=1, count=2, days=2, calendar=True, raise_to=3)]
    yesterday = T0 - timedelta(days=1)
    assert repeats(event(0, line="L2"), [AlertEvent(yesterday, 1, line="L2")], rules).tier == 3
    with pytest.raises(Invalid):
        RepeatRule(tier=2, count=3, days=7, calendar=False, raise_to=2)


# ---- the state machine ------------------------------------------------------------------


def test_open_acknowledged_filed_resolved_with_the_next_level_approving() -> None:
    alert = Alert.raised(1, T0)
    alert = move(alert, Action.ACKNOWLEDGE, now=T0, role="shift_leader")
    alert = move(alert, "file", now=T0, role="shift_leader", reason="叉车掉落一包，已回收")
    assert (alert.state, alert.reason) == (State.FILED, "叉车掉落一包，已回收")
    with pytest.raises(Forbidden) as err:
        move(alert, Action.APPROVE, now=T0, role="shift_leader")
    assert err.value.fields == {"role": "needs workshop"}
    resolved = move(alert, Action.APPROVE, now=T0, role="workshop")
    assert resolved.state is State.RESOLVED
    assert move(alert, Action.APPROVE, now=T0, role="management").state is State.RESOLVED


def test_a_rejected_reason_goes_back_to_acknowledged() -> None:
    alert = Alert(State.FILED, 2, T0, "原因")
    back = move(alert, Action.REJECT, now=T0, role="management")
    assert (back.state, back.reason) == (State.ACKNOWLEDGED, None)


def test_approvers_are_one_level_above_and_management_approves_tier_3() -> None:
    # one tier above: an informational (tier 0) alert is approved by tier 1's shift leader
    assert [approver(t) for t in range(4)] == [
        "shift_leader",
        "workshop",
        "management",
        "management",
    ]
    alert = Alert(State.FILED, 3, T0, "原因")
    assert move(alert, Action.APPROVE, now=T0, role="management").state is State.RESOLVED


def test_handlers_need_at_least_the_tiers_role() -> None:
    with pytest.raises(Forbidden):
        move(Alert.raised(2, T0), Action.ACKNOWLEDGE, now=T0, role="shift_leader")
    with pytest.raises(Forbidden):
        move(Alert.raised(1, T0), Action.ACKNOWLEDGE, now=T0, role=None)
    assert move(Alert.raised(1, T0), Action.ACKNOWLEDGE, now=T0, role="management")


def test_filing_needs_a_reason() -> None:
    alert = Alert(State.ACKNOWLEDGED, 1, T0)
    with pytest.raises(Invalid) as err:
        move(alert, Action.FILE, now=T0, role="shift_leader", reason="  ")
    assert err.value.fields == {"reason": "required"}


def test_illegal_moves_are_conflicts_naming_the_allowed_ones() -> None:
    with pytest.raises(Conflict) as err:
        move(Alert.raised(1, T0), Action.APPROVE, now=T0, role="management")
    assert err.value.fields == {"action": "allowed: acknowledge, escalate"}
    with pytest.raises(Conflict) as err:
        move(Alert(State.RESOLVED, 1, T0), Action.ACKNOWLEDGE, now=T0, role="management")
    assert err.value.fields == {"action": "allowed: —"}


def test_escalation_at_the_time_limit() -> None:
    alert = Alert.raised(1, T0)
    limit = T0 + DEFAULT_LIMITS[1]
    assert not due(alert, limit - timedelta(seconds=1))
    assert due(alert, limit)
    with pytest.raises(Conflict) as err:
        move(alert, Action.ESCALATE, now=limit - timedelta(seconds=1))
    assert err.value.fields == {"action": "not due"}
    up = move(alert, Action.ESCALATE, now=limit)
    assert (up.state, up.tier, up.since) == (State.ESCALATED, 2, limit)
    assert not due(up, limit + DEFAULT_LIMITS[1])  # the new limit is tier 2's
    assert due(up, limit + DEFAULT_LIMITS[2])
    # escalated alerts are acknowledged by the new level
    with pytest.raises(Forbidden):
        move(up, Action.ACKNOWLEDGE, now=limit, role="shift_leader")
    assert move(up, Action.ACKNOWLEDGE, now=limit, role="workshop").state is State.ACKNOWLEDGED


def test_escalation_is_capped_at_tier_3_and_filed_alerts_wait() -> None:
    top = move(Alert.raised(3, T0), Action.ESCALATE, now=T0 + DEFAULT_LIMITS[3])
    assert (top.tier, top.since) == (3, T0 + DEFAULT_LIMITS[3])  # a reminder with a new limit
    assert not due(Alert(State.FILED, 1, T0, "原因"), T0 + timedelta(days=30))
    assert not due(Alert(State.RESOLVED, 1, T0), T0 + timedelta(days=30))


def test_custom_limits() -> None:
    limits = {
        0: timedelta(hours=1),
        1: timedelta(minutes=30),
        2: timedelta(hours=2),
        3: timedelta(hours=4),
    }
    alert = Alert.raised(1, T0)
    assert due(alert, T0 + timedelta(minutes=30), limits)
    assert move(alert, Action.ESCALATE, now=T0 + timedelta(minutes=30), limits=limits).tier == 2


def test_every_state_is_in_the_table_and_resolved_is_final() -> None:
    assert set(TRANSITIONS) == set(State)
    assert TRANSITIONS[State.RESOLVED] == {}


def test_who_is_notified_per_tier() -> None:
    assert notified(1) == ("shift_leader",)
    assert notified(2) == ("shift_leader", "workshop")
    assert "management" in notified(3)
    assert set(NOTIFY) == {0, 1, 2, 3}
