"""API: start a job and follow its progress."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from core import auth, jobs
from core.db import db
from core.enums import OrgKind
from core.errors import NotFound
from marketplace.access import access, require_actor
from marketplace.jobs.runner import dispatch
from marketplace.jobs.schemas import JobCreateSchema, JobSchema

blp = Blueprint("jobs_api", __name__, url_prefix="/api/v1/jobs", description="后台任务")


@blp.route("", methods=["POST"])
@access(kinds=[OrgKind.ADMIN])
@blp.arguments(JobCreateSchema)
@blp.response(202, JobSchema)
@blp.alt_response(503, description="the broker is unavailable; Retry-After says when to try")
def start_job(data: dict[str, Any]) -> Any:
    """Queue a maintenance job (platform admin); poll its URL for progress."""
    actor = require_actor()
    row = jobs.create(data["name"], user_id=actor.user_id, organization_id=actor.org_id)
    db.session.commit()
    dispatch(row.id)
    return row


@blp.route("/<int:job_id>", methods=["GET"])
@access()
@blp.response(200, JobSchema)
def get_job(job_id: int) -> Any:
    """A job's state and progress (jobs of the caller's own organisation)."""
    row = db.session.get(jobs.Job, job_id)
    if row is None:
        raise NotFound("后台任务不存在")
    if row.organization_id is not None:
        auth.require_read_org(require_actor(), row.organization_id, target=f"job:{job_id}")
    return row


@blp.route("/<int:job_id>/retry", methods=["POST"])
@access(kinds=[OrgKind.ADMIN])
@blp.response(202, JobSchema)
@blp.alt_response(409, description="the job has not failed")
@blp.alt_response(503, description="the broker is unavailable; Retry-After says when to try")
def retry_job(job_id: int) -> Any:
    """Queue a failed job again with its parameters (platform admin); poll its URL."""
    row = jobs.retry(job_id)
    db.session.commit()
    dispatch(row.id)
    return row
