"""The closed set of events the platform announces, declared in one place.

Publishing an unknown name is a programming error (ValueError), not user input. `webhook`
says whether an organisation can subscribe an endpoint to the event; platform-internal events
(an endpoint was disabled, a test ping) reach the organisation in the app and by e-mail only.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import N_


@dataclass(frozen=True)
class Event:
    """One kind of event: its dotted name and its label (a Chinese msgid) for settings pages."""

    name: str
    label: str
    webhook: bool = True


EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        Event("bid.outbid", N_("出价被超过")),
        Event("trade.awarded", N_("成交")),
        Event("deposit.held", N_("保证金已冻结")),
        Event("deposit.released", N_("保证金已释放")),
        Event("pickup.scheduled", N_("已安排提货")),
        Event("dispute.opened", N_("争议已提起")),
        Event("dispute.resolved", N_("争议已处理")),
        Event("trade.settled", N_("成交已结算")),
        Event("certificate.issued", N_("再生利用证明已签发")),
        Event("station.alert", N_("回收站定额预警")),
        Event("recommend.invited", N_("邀请出价")),
        Event("recommend.digest", N_("每日推荐批次")),
        Event("webhook.disabled", N_("回调地址已停用"), webhook=False),
    )
}
PING = "webhook.ping"  # sent to one endpoint on request; never published


def subscribable() -> list[Event]:
    """Events an endpoint may choose, in declaration order."""
    return [e for e in EVENTS.values() if e.webhook]


def require_known(name: str) -> Event:
    """The event called `name`; ValueError for a name not declared above."""
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"unknown notification event {name!r}; declare it in EVENTS") from None
