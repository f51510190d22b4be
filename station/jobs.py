"""The station's scheduled work: escalating alerts whose time limit has passed."""

from __future__ import annotations

from typing import Any

from core.db import db
from core.jobs import JobContext, job
from core.time import utcnow
from station.services import alerts


@job("station.escalate_due")
def escalate_due(ctx: JobContext) -> dict[str, Any]:
    escalated = alerts.escalate_due(now=utcnow())
    db.session.commit()
    ctx.progress(len(escalated), len(escalated), "escalated")
    return {"escalated": escalated}
