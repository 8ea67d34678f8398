"""The sweep: no job stays « en cours » once its process is gone or it was asked to stop.

Every process that runs jobs or shows them runs a :class:`Sweeper` thread: the embedded
runner, ``grappes worker`` (table or RQ) and, outside tests, the site's processes (started
at their first request). Every ``JOB_SWEEP_INTERVAL_S`` it:

- marks failed the running jobs whose process died: claimed by a process of this machine
  that is gone (at once), or silent (no heartbeat) for ``JOB_STALE_AFTER_S``, twice the
  heartbeat (a process seen alive on this machine gets more patience: ``state.stale_reason``);
- stops the running jobs asked to cancel ``JOB_CANCEL_GRACE_S`` ago that have not stopped:
  under RQ their work horse is killed (``rq.command.send_stop_job_command``); in threads
  the job is marked cancelled and its runner discards whatever it still does;

and each kind's ``on_abandon`` hook lets the job's run, upload or simulation follow in the
same pass. Every step is a conditional update: sweeps of several processes never clash.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs import registry, state
from matchmaker.vocabulary import JobStatus

logger = logging.getLogger(__name__)

#: ``app.extensions`` key of the process's sweeper.
SWEEPER_KEY = "grappes.jobs.sweeper"
#: The reason given to the run, upload or simulation of a job stopped after a cancel.
CANCELLED_REASON = "Annulé à la demande."

#: The shortest interval between two passes (a zero setting must not spin).
MIN_INTERVAL_S = 0.05

_start_lock = threading.Lock()


def follow_in(session: Session, job: state.ClaimedJob, status: str, reason: str) -> None:
    """Let the rows of a job that ended ``status`` follow, through its kind's
    ``on_abandon`` hook, in ``session`` (the transaction that ends the job)."""
    hook = registry.abandon_hook(job.kind)
    if hook is not None:
        hook(session, job.params, status, reason)


def recover_stale(app: Flask) -> list[int]:
    """Mark failed the running jobs of dead processes, and let their rows follow. Returns
    their ids."""
    stale_after = float(app.config["JOB_STALE_AFTER_S"])
    stale = state.mark_stale(db.engine_of(app), stale_after, follow=follow_in)
    return [job.id for job, _ in stale]


def stop_overdue_cancellations(app: Flask) -> list[int]:
    """Stop the running jobs that did not honour a cancellation within the grace time:
    kill their RQ work horse, mark them cancelled, let their rows follow."""
    engine = db.engine_of(app)
    overdue = state.overdue_cancellations(engine, float(app.config["JOB_CANCEL_GRACE_S"]))
    stopped = []
    for job in overdue:
        if job.backend == "rq" and job.rq_job_id:
            stop_rq_job(app, job.rq_job_id)
        if state.end_running(
            engine,
            job.id,
            JobStatus.CANCELLED,
            message=state.STOPPED_MESSAGE,
            follow=follow_as_cancelled,
        ):
            stopped.append(job)
    if stopped:
        logger.warning("jobs %s did not stop when cancelled: stopped", [j.id for j in stopped])
    return [job.id for job in stopped]


def follow_as_cancelled(session: Session, job: state.ClaimedJob, status: str, reason: str) -> None:
    """:func:`follow_in` for a job cancelled at a user's request."""
    follow_in(session, job, JobStatus.CANCELLED, CANCELLED_REASON)


def stop_rq_job(app: Flask, rq_job_id: str) -> bool:
    """Ask the RQ worker executing ``rq_job_id`` to kill its work horse; False when no
    worker executes it (or Redis is unreachable: logged)."""
    from rq.command import send_stop_job_command

    from matchmaker.jobs.backends import redis_connection

    try:
        send_stop_job_command(redis_connection(app.config), rq_job_id)
    except Exception:  # no worker runs it any more, or Redis is down: the row still ends
        logger.warning("RQ job %s could not be stopped", rq_job_id, exc_info=True)
        return False
    return True


def sweep(app: Flask) -> list[int]:
    """One pass: interrupted jobs failed, overdue cancellations stopped. Their ids."""
    return recover_stale(app) + stop_overdue_cancellations(app)


def clear(app: Flask, job_id: int, reason: str) -> bool:
    """End a queued or running job as failed with ``reason`` (an operator's decision), and
    let its rows follow; False when it had already ended."""
    engine = db.engine_of(app)
    from matchmaker.models import Job

    with Session(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status in state.FINAL:
            return False
        backend, rq_job_id, was = job.backend, job.rq_job_id, job.status
    if not state.finish(
        engine,
        job_id,
        JobStatus.FAILED,
        message="Tâche arrêtée par un opérateur.",
        error=reason,
        error_type="Cleared",
        from_statuses=(JobStatus.QUEUED, JobStatus.RUNNING),
        follow=follow_in,
    ):
        return False
    if backend == "rq" and rq_job_id and was == JobStatus.RUNNING:
        stop_rq_job(app, rq_job_id)
    return True


class Sweeper:
    """A daemon thread sweeping every ``JOB_SWEEP_INTERVAL_S`` (the first pass at once)."""

    def __init__(self, app: Flask, interval_s: float | None = None) -> None:
        self.app = app
        self.interval_s = max(
            MIN_INTERVAL_S,
            float(interval_s if interval_s is not None else app.config["JOB_SWEEP_INTERVAL_S"]),
        )
        self.pid = os.getpid()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grappes-job-sweep", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self.pid == os.getpid()

    def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                with self.app.app_context():
                    sweep(self.app)
            except Exception:  # a failed pass (database down…) is logged; the next one retries
                logger.exception("job sweep failed")
            wait = max(0.0, self.interval_s - (time.monotonic() - started))
            if self._stopped.wait(wait):
                return


def ensure_started(app: Flask) -> Sweeper:
    """The process's sweeper for ``app``, started if needed (again after a fork)."""
    with _start_lock:
        sweeper: Sweeper | None = app.extensions.get(SWEEPER_KEY)
        if sweeper is None or not sweeper.alive:
            sweeper = Sweeper(app).start()
            app.extensions[SWEEPER_KEY] = sweeper
        return sweeper


def stop(app: Flask) -> None:
    """Stop the process's sweeper for ``app``, if any."""
    sweeper: Sweeper | None = app.extensions.pop(SWEEPER_KEY, None)
    if sweeper is not None:
        sweeper.stop()
