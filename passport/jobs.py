"""The passport's scheduled work: a signed checkpoint whenever the log has grown (hourly)."""

from __future__ import annotations

from typing import Any

from core.db import db
from core.jobs import JobContext, job
from passport.services import proofs


@job("passport.checkpoint")
def checkpoint(ctx: JobContext) -> dict[str, Any]:
    """Sign and publish a checkpoint; a run with nothing new appended makes none."""
    row = proofs.checkpoint_if_changed()
    db.session.commit()
    made = 0 if row is None else 1
    ctx.progress(made, made, "checkpoint")
    return {"checkpoint": None if row is None else row.id, "tree_size": row.tree_size if row else 0}
