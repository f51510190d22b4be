"""The lot lifecycle as an explicit transition table.

A table, not a state-machine library: the machine has twelve states and no guards or callbacks
of its own (the services check the business conditions), and a dict that a reader can see
whole is the clearest form of it. An illegal move is a 409 naming the moves that are allowed.
"""

from __future__ import annotations

from core.errors import Conflict
from marketplace.lots.models import LotStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.LISTED, S.WITHDRAWN}),
    S.LISTED: frozenset({S.AWARDED, S.WITHDRAWN, S.EXPIRED}),
    S.AWARDED: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.PICKED_UP, S.CANCELLED}),
    S.PICKED_UP: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.SETTLED, S.DISPUTED}),
    S.DISPUTED: frozenset({S.SETTLED, S.CANCELLED}),
    S.SETTLED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.EXPIRED: frozenset({S.LISTED}),  # a producer may relist an expired lot
    S.CANCELLED: frozenset(),
}


def allowed(current: S) -> frozenset[S]:
    """Where a lot in `current` may go next."""
    return TRANSITIONS[current]


def check(current: S, target: S) -> S:
    """Return `target` if the move is legal; otherwise a Conflict naming the allowed moves."""
    if target not in TRANSITIONS[current]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "—"
        raise Conflict(
            "批次不能从“%(current)s”变为“%(target)s”；允许：%(options)s",
            {"status": f"allowed: {options}"},
            current=current.value,
            target=target.value,
            options=options,
        )
    return target
