"""Background jobs: a registry of named job functions and a table that records their progress.

Long work (route planning, model training, large reports) runs as a job so a page can show a
progress bar. Where it runs (a Celery worker, or a thread in-process when no broker is set) is
the web shell's choice; this module only records state and executes a job by id.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db
from core.enums import enum_column
from core.errors import Conflict, Invalid, NotFound
from core.time import utcnow

log = logging.getLogger(__name__)


class JobState(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(db.Model):
    """One run of a named job with its parameters, progress and outcome."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), index=True)
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int:
        """Progress as a whole percentage (0 until the job says how much there is)."""
        if self.state is JobState.SUCCEEDED:
            return 100
        return int(100 * self.progress / self.total) if self.total else 0

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name} {self.state}>"


class JobContext:
    """Handed to a running job function so it can report progress as it goes."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress in its own transaction so observers see it while the job runs."""
        values: dict[str, Any] = {"progress": done, "message": message[:200]}
        if total is not None:
            values["total"] = total
        with db.engine.begin() as conn:
            conn.execute(sa.update(Job).where(Job.id == self.job_id).values(**values))


JobFunction = Callable[..., dict[str, Any]]
_REGISTRY: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register `fn(ctx, **params) -> result dict` under `name`."""

    def register(fn: JobFunction) -> JobFunction:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise RuntimeError(f"job {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn

    return register


def registered() -> list[str]:
    """Names of every registered job."""
    return sorted(_REGISTRY)


def create(
    name: str,
    params: dict[str, Any] | None = None,
    *,
    user_id: int | None = None,
    organization_id: int | None = None,
) -> Job:
    """Add a queued job to the session; the caller commits and then dispatches it."""
    if name not in _REGISTRY:
        raise Invalid("未知的后台任务：%(name)s", {"name": "unknown job"}, name=name)
    row = Job(name=name, params=params or {}, created_by=user_id, organization_id=organization_id)
    db.session.add(row)
    db.session.flush()
    return row


def execute(job_id: int) -> None:
    """Run a queued job to completion, recording success or failure; owns its transaction."""
    row = db.session.get(Job, job_id)
    if row is None:
        raise NotFound("后台任务不存在")
    # Claimed with one conditional UPDATE: a job sent twice (a resend after a broker outage, a
    # redelivery after a worker died) runs once, whichever worker gets there first.
    claimed = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow())
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("job %s is %s, not queued; not running it again", job_id, row.state)
        return
    db.session.refresh(row)
    fn = _REGISTRY[row.name]
    try:
        result = fn(JobContext(job_id), **row.params)
    except Exception as exc:  # a job's failure is recorded, not raised into the worker loop
        log.exception("job %s (%s) failed", job_id, row.name)
        db.session.rollback()
        row = db.session.get(Job, job_id)
        assert row is not None
        row.state, row.error = JobState.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        db.session.expire(row)
        row.state, row.result = JobState.SUCCEEDED, result
        row.progress = max(row.progress, row.total)
    row.finished_at = utcnow()
    db.session.commit()


def retry(job_id: int) -> Job:
    """Queue a failed job again with the same parameters; the caller commits and dispatches.

    Only a failed job: a queued or running one is on its way, and running a succeeded job
    twice is a new job, not a retry. The last error stays in the log, not on the row.
    """
    row = db.session.scalar(sa.select(Job).where(Job.id == job_id).with_for_update())
    if row is None:
        raise NotFound("后台任务不存在")
    if row.state is not JobState.FAILED:
        raise Conflict(
            "只有失败的后台任务可以重试（当前状态：%(state)s）",
            {"state": "only a failed job can be retried"},
            state=str(row.state),
        )
    log.info("job %s (%s) retried after: %s", job_id, row.name, row.error)
    row.state, row.error, row.result = JobState.QUEUED, None, None
    row.progress, row.message = 0, ""
    row.started_at = row.finished_at = None
    return row


def refuse(job_id: int, error: str) -> None:
    """Mark a job that could not be handed to its worker as failed (in its own transaction),
    so the caller's 503 and the row say the same thing and the job can be retried."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(state=JobState.FAILED, error=error[:2000], finished_at=utcnow())
        )
