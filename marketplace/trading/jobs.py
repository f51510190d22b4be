"""Work that happens by itself on a schedule: closing sales at their deadline, and settling
delivered trades whose dispute window has passed.

With a broker, Celery beat sends them (see `marketplace.jobs.runner.SCHEDULE`); without one the
web process runs them on its own ticker; `flask trading close-due` / `settle-due` do the same
work for cron.
"""

from __future__ import annotations

from typing import Any

from core.db import db
from core.jobs import JobContext, job
from core.time import utcnow
from marketplace.trading import services, trades


@job("trading.close_due")
def close_due(ctx: JobContext) -> dict[str, Any]:
    closed = services.close_due(now=utcnow())
    db.session.commit()  # a job owns its transaction; progress is written on its own connection
    ctx.progress(len(closed), len(closed), "closed")
    return {"closed": closed}


@job("trading.settle_due")
def settle_due(ctx: JobContext) -> dict[str, Any]:
    settled = trades.settle_due(now=utcnow())
    db.session.commit()
    ctx.progress(len(settled), len(settled), "settled")
    return {"settled": settled}
