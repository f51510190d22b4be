"""Where jobs run. With BROKER_URL set, a Celery worker (`celery -A wsgi:celery worker`) runs
them; without it they run in a background thread of the web process, so the default set-up
needs no broker. Either way the job row records state and progress.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

from flask import Flask, current_app

from core import jobs
from core.db import db
from core.errors import DomainError


class BrokerUnavailable(DomainError):
    """The job was not accepted: the broker is unreachable. Refused, not kept: the job row is
    marked failed with the reason, and the client (or an admin, with retry) tries later."""

    status = 503
    code = "unavailable"
    retry_after = 10


TASK_NAME = "huanlian.run_job"
SCHEDULE_TASK = "huanlian.run_scheduled"
# Jobs that run by themselves, and how often (seconds): Celery beat with a broker, the
# in-process ticker without one.
JOB_MODULES = (
    "marketplace.jobs.builtin",
    "marketplace.notify.jobs",
    "marketplace.trading.jobs",
    "station.jobs",
    "passport.jobs",
    "marketplace.dispatch.jobs",
    "marketplace.recommend.jobs",
)
SCHEDULE: dict[str, float] = {
    "trading.close_due": 60.0,
    "trading.settle_due": 300.0,
    "notify.deliver_due": 30.0,
    "station.escalate_due": 60.0,
    "passport.checkpoint": 3600.0,
    "recommend.digest": 3600.0,  # each recycler at most once a day (outreach.DIGEST_EVERY)
}


def init_jobs(app: Flask) -> None:
    """Create the Celery app when a broker is configured and keep it in `app.extensions`."""
    for module in JOB_MODULES:  # imported for their side effect: each registers its jobs
        importlib.import_module(module)

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
        # A request waits at most about a second for a broker that is down, then is refused.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.3},
        broker_connection_timeout=2,
    )

    @celery.task(name=TASK_NAME, shared=False)  # one app per create_app, not global
    def run_job(job_id: int) -> None:
        jobs.execute(job_id)

    @celery.task(name=SCHEDULE_TASK, shared=False)
    def run_scheduled_task(name: str) -> None:
        """Beat's entry."""
        run_scheduled(name)

    celery.conf.beat_schedule = {
        name: {"task": SCHEDULE_TASK, "schedule": every, "args": (name,)}
        for name, every in SCHEDULE.items()
    }

    app.extensions["celery"] = celery


def run_scheduled(name: str) -> None:
    """Run one scheduled job here, recorded as a job row like any other; a run that found
    nothing to do leaves no row, so the table holds the runs that changed something."""
    row = jobs.create(name)
    db.session.commit()
    jobs.execute(row.id)
    done = db.session.get(jobs.Job, row.id)
    if (
        done is not None
        and done.state is jobs.JobState.SUCCEEDED
        and not any(done.result.values() if done.result else ())
    ):
        db.session.delete(done)
        db.session.commit()


class Ticker:
    """The scheduler of a process without a broker: a daemon thread that runs each job of
    SCHEDULE when it is due. Every web worker has one; the scheduled jobs lock the rows they
    change and skip what is already done, so two workers running them at once is harmless."""

    def __init__(self, app: Flask, schedule: dict[str, float], tick: float = 5.0) -> None:
        self.app, self.schedule, self.tick = app, dict(schedule), tick
        self.next_run = dict.fromkeys(self.schedule, 0.0)
        self.started = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self, now: float) -> list[str]:
        """The jobs due at monotonic time `now`; each is then next due one period later."""
        names = [n for n, at in self.next_run.items() if at <= now]
        for name in names:
            self.next_run[name] = now + self.schedule[name]
        return names

    def run_due(self, now: float) -> list[str]:
        names = self.due(now)
        for name in names:
            with self.app.app_context():
                try:
                    run_scheduled(name)
                except Exception:  # keep ticking: the job row records what went wrong
                    self.app.logger.exception("scheduled job %s failed", name)
                finally:
                    db.session.remove()
        return names

    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True

        def loop() -> None:
            while not self._stop.is_set():
                self.run_due(time.monotonic())
                self._stop.wait(self.tick)

        self._thread = threading.Thread(target=loop, name="huanlian-ticker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking (after the job running now, if any)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def init_ticker(app: Flask) -> None:
    """Without a broker, start the ticker with the first request the process serves (not at
    import: `flask db upgrade` and other commands must not start background work)."""
    if app.extensions.get("celery") is not None or not app.config["SCHEDULER_IN_PROCESS"]:
        return
    ticker = Ticker(app, SCHEDULE, tick=float(app.config["SCHEDULER_TICK_S"]))
    app.extensions["ticker"] = ticker
    app.before_request(ticker.start)


def dispatch(job_id: int) -> None:
    """Send a committed job to the broker, or run it in a thread of this process."""
    celery = current_app.extensions.get("celery")
    if celery is not None:
        try:
            celery.send_task(TASK_NAME, args=[job_id])
        except Exception as exc:  # kombu's OperationalError, socket errors: the broker is away
            current_app.logger.warning("broker refused job %s: %s", job_id, exc)
            jobs.refuse(job_id, f"broker unavailable: {type(exc).__name__}: {exc}")
            raise BrokerUnavailable("任务队列暂时不可用，任务未受理，请稍后重试") from exc
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                jobs.execute(job_id)
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"job-{job_id}", daemon=True).start()
