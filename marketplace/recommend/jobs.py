"""Background jobs: training a model version (with progress) and the daily digest."""

from __future__ import annotations

from typing import Any

from core.db import db
from core.errors import DomainError
from core.jobs import JobContext, job
from core.time import utcnow
from marketplace.recommend import outreach, training


@job("recommend.train")
def train(ctx: JobContext) -> dict[str, Any]:
    """Train on the platform's exposures and bids; the new version becomes active."""
    try:
        row = training.train(utcnow(), ctx.progress, job_id=ctx.job_id)
    except DomainError as err:  # too little data: say so in words on the admin page
        raise RuntimeError(err.message % err.params if err.params else err.message) from err
    result = {
        "version": row.version,
        "exposures": row.n_exposures,
        "bids": row.n_bids,
        "metrics_source": row.metrics_source,
    }
    db.session.commit()
    ctx.progress(5, 5, "完成")
    return result


@job("recommend.digest")
def digest(ctx: JobContext) -> dict[str, Any]:
    """Send each recycler its daily recommended lots (at most one digest a day each)."""
    sent = outreach.send_digests(utcnow())
    db.session.commit()
    return {"digests": sent}
