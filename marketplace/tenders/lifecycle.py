"""The service request's lifecycle as an explicit transition table.

    open ──▶ awarded ──▶ completed
      ├────▶ cancelled
      └────▶ expired      (derived, never stored: open, past the quote deadline, no quotes)

`status` in the database holds the last explicit move (open, awarded, completed, cancelled).
Expiry needs no scheduled job: `effective` compares the deadline with the clock whenever a
request is read or acted on. An open request past its deadline that has quotes stays open, so
the requester can still choose among them (or cancel it). An illegal move is a 409 that names
the moves allowed from the current state, as in `marketplace.trading.lifecycle`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from core.errors import Conflict
from core.i18n import N_


class ServiceStatus(enum.StrEnum):
    OPEN = "open"
    AWARDED = "awarded"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = ServiceStatus
# How the states are named to users (tender terms: 流标, 定标); the web shell translates them
# where a message quotes a state (see `marketplace.errors`).
LABELS: dict[str, str] = {
    S.OPEN: N_("征集报价中"),
    S.AWARDED: N_("已定标"),
    S.COMPLETED: N_("已完成"),
    S.CANCELLED: N_("已取消"),
    S.EXPIRED: N_("已流标"),
}
TRANSITIONS: dict[ServiceStatus, frozenset[ServiceStatus]] = {
    S.OPEN: frozenset({S.AWARDED, S.CANCELLED, S.EXPIRED}),
    S.AWARDED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}


def effective(
    stored: ServiceStatus, deadline: datetime, now: datetime, n_quotes: int
) -> ServiceStatus:
    """The state a reader sees: an open request past its deadline without quotes has expired."""
    if stored is S.OPEN and now >= deadline and n_quotes == 0:
        return S.EXPIRED
    return stored


def allowed(current: ServiceStatus) -> frozenset[ServiceStatus]:
    """Where a request in `current` may go next."""
    return TRANSITIONS[current]


def check(current: ServiceStatus, target: ServiceStatus) -> ServiceStatus:
    """Return `target` if the move is legal; otherwise a Conflict naming the allowed moves."""
    if target not in TRANSITIONS[current]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "—"
        err = Conflict(
            "服务需求不能从“%(current)s”变为“%(target)s”；允许：%(options)s",
            {"status": f"allowed: {options}"},
            current=current.value,
            target=target.value,
            options=options,
        )
        err.state_labels = LABELS  # type: ignore[attr-defined]
        raise err
    return target
