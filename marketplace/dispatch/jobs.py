"""The planning job: a day's plan is solved in the background so the page can show progress."""

from __future__ import annotations

from typing import Any

from core.db import db
from core.jobs import JobContext, job
from marketplace.dispatch import services
from marketplace.dispatch.models import RoutePlan


@job("dispatch.plan_day")
def plan_day(ctx: JobContext, plan_id: int) -> dict[str, Any]:
    ctx.progress(0, 3, "建模")
    try:
        plan = services.solve(plan_id, ctx.progress)
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(RoutePlan, plan_id)
        if row is not None:
            row.state, row.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            db.session.commit()
        raise
    result = {"plan_id": plan.id, "stops": len(plan.stops), "dropped": len(plan.dropped)}
    db.session.commit()
    ctx.progress(3, 3, "完成")
    return result
