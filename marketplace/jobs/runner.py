"""Where jobs run. With BROKER_URL set, a Celery worker (`celery -A wsgi:celery worker`) runs
them; without it they run in a background thread of the web process, so the default set-up
needs no broker. Either way the job row records state and progress.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from core import jobs
from core.db import db

TASK_NAME = "huanlian.run_job"
SCHEDULE_TASK = "huanlian.run_scheduled"


def init_jobs(app: Flask) -> None:
    """Create the Celery app when a broker is configured and keep it in `app.extensions`."""
    import marketplace.jobs.builtin
    import marketplace.notify.jobs
    import marketplace.trading.jobs  # noqa: F401  (all register jobs)

    broker = app.config.get("BROKER_URL")
    if not broker:
        app.extensions["celery"] = None
        return
    try:
        from celery import Celery, Task
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "BROKER_URL is set but Celery is not installed: pip install 'huanlian[jobs]'"
        ) from exc

    class AppTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.import_name, task_cls=AppTask)
    celery.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
    )

    @celery.task(name=TASK_NAME, shared=False)  # one app per create_app, not global
    def run_job(job_id: int) -> None:
        jobs.execute(job_id)

    @celery.task(name=SCHEDULE_TASK, shared=False)
    def run_scheduled(name: str) -> None:
        """Beat's entry: record a job row, then run it here (progress and result are kept)."""
        row = jobs.create(name)
        db.session.commit()
        jobs.execute(row.id)

    celery.conf.beat_schedule = {
        "close-due-sales": {
            "task": SCHEDULE_TASK,
            "schedule": 60.0,
            "args": ("trading.close_due",),
        },
        "notify": {"task": SCHEDULE_TASK, "schedule": 30.0, "args": ("notify.deliver_due",)},
    }

    app.extensions["celery"] = celery


def dispatch(job_id: int) -> None:
    """Send a committed job to the broker, or run it in a thread of this process."""
    celery = current_app.extensions.get("celery")
    if celery is not None:
        celery.send_task(TASK_NAME, args=[job_id])
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                jobs.execute(job_id)
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"job-{job_id}", daemon=True).start()
