"""Delivery happens by itself: `notify.deliver_due` runs every 30 s on Celery beat.

With a broker, beat sends it (see `marketplace.jobs.runner`); without one, `flask notify
deliver` is the same work for cron. Each row is committed on its own inside the run.
"""

from __future__ import annotations

from typing import Any

from core.jobs import JobContext, job
from marketplace.notify import delivery


@job("notify.deliver_due")
def deliver_due(ctx: JobContext) -> dict[str, Any]:
    report = delivery.deliver_due()
    done = report.delivered + report.failed + report.emailed + report.email_failed
    ctx.progress(done, done, "delivered")
    return report.as_dict()
