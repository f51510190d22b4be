"""Closing sales at their deadline happens by itself: a job, run every minute.

With a broker, Celery beat sends `huanlian.run_job("trading.close_due")` each minute (see
`marketplace.jobs.runner`); without one, `flask trading close-due` is the same work for cron.
"""

from __future__ import annotations

from typing import Any

from core.db import db
from core.jobs import JobContext, job
from core.time import utcnow
from marketplace.trading import services


@job("trading.close_due")
def close_due(ctx: JobContext) -> dict[str, Any]:
    closed = services.close_due(now=utcnow())
    db.session.commit()  # a job owns its transaction; progress is written on its own connection
    ctx.progress(len(closed), len(closed), "closed")
    return {"closed": closed}
