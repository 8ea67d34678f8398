"""Running one job: the same code for the embedded threads, ``grappes worker`` and RQ.

``execute(app, job_id)`` claims the queued row, runs the registered function inside an
app context with a :class:`JobContext`, commits its work and records the outcome:
succeeded with its result, cancelled, or failed with its cause (the French message of a
:class:`JobError`, or the type and text of any other exception). Nothing is swallowed:
the cause is stored on the row and the traceback logged.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Engine

from matchmaker.extensions import db
from matchmaker.jobs import registry, state, sweep
from matchmaker.jobs.context import JobCancelled, JobContext, JobError
from matchmaker.ops import logs
from matchmaker.vocabulary import JobStatus

logger = logging.getLogger(__name__)

#: The ``app.extensions`` key holding the pid of a worker that forks work horses (RQ).
PARENT_PID_KEY = "grappes.jobs.parent_pid"


def execute(app: Flask, job_id: int) -> str | None:
    """Run job ``job_id`` if it is still queued; returns its final status, or None when
    another runner had it or it was cancelled before starting."""
    with app.app_context():
        engine = db.engine_of(app)
        claimed = state.claim(engine, job_id)
        if claimed is None:
            return None
        session = db.scoped()
        beat = _Heartbeat(
            engine,
            job_id,
            float(app.config["JOB_HEARTBEAT_S"]),
            paused=lambda: engine.dialect.name == "sqlite" and session.in_transaction(),
        )
        beat.start()
        max_chars = int(app.config["JOB_LOG_MAX_CHARS"])
        try:
            with logs.job_logging(claimed.id, claimed.request_id, max_chars) as log:
                logger.info("job %s (%s) started", claimed.id, claimed.kind)
                return _run(app, engine, claimed, log)
        finally:
            beat.stop()
            db.scoped.remove()


def run_rq_job(job_id: int) -> str | None:
    """The function RQ workers call. It uses the app of ``grappes worker`` (whose context
    the worker pushed) or builds one from the environment: never at import time."""
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    else:
        from matchmaker import create_app

        app = create_app()
    parent = app.extensions.get(PARENT_PID_KEY)
    if parent is not None and parent != os.getpid():
        # A forked work horse must not reuse the parent's pooled connections.
        db.engine_of(app).dispose(close=False)
    return execute(app, job_id)


def _run(app: Flask, engine: Engine, claimed: state.ClaimedJob, log: logs.JobLog) -> str:
    session = db.scoped()
    context = JobContext(
        job_id=claimed.id,
        kind=claimed.kind,
        params=claimed.params,
        session=session,
        config=app.config,
        user_id=claimed.user_id,
        campaign_id=claimed.campaign_id,
        engine=engine,
        progress_interval_s=float(app.config["JOB_PROGRESS_INTERVAL_S"]),
        log=log,
    )
    try:
        function = registry.get(claimed.kind)
        result = _as_result(function(context))
        ended = _ended_meanwhile(engine, claimed.id)
        if ended is not None:
            # The sweep stopped the job (a cancellation it did not honour in time, or it
            # was cleared): its work is discarded.
            session.rollback()
            logger.warning(
                "job %s (%s) ended as %s meanwhile: discarded", claimed.id, claimed.kind, ended
            )
            return ended
        session.commit()
    except JobCancelled as cancelled:
        session.rollback()
        logger.info("job %s (%s) cancelled", claimed.id, claimed.kind)
        state.finish(
            engine,
            claimed.id,
            JobStatus.CANCELLED,
            message=str(cancelled),
            log=log.text(),
            follow=sweep.follow_as_cancelled,
        )
        return JobStatus.CANCELLED
    except Exception as error:  # the cause is stored on the row and logged, not swallowed
        session.rollback()
        logger.exception("job %s (%s) failed", claimed.id, claimed.kind)
        cause = describe_error(error)
        state.finish(
            engine,
            claimed.id,
            JobStatus.FAILED,
            message="Échec de la tâche.",
            error=cause,
            error_type=type(error).__name__,
            log=log.text(),
            # Rows the job's code did not end itself (a run still « en cours ») end with it.
            follow=sweep.follow_in,
        )
        return JobStatus.FAILED
    logger.info("job %s (%s) succeeded", claimed.id, claimed.kind)
    state.finish(
        engine,
        claimed.id,
        JobStatus.SUCCEEDED,
        message="Terminé.",
        result=result,
        log=log.text(),
    )
    return JobStatus.SUCCEEDED


def _ended_meanwhile(engine: Engine, job_id: int) -> str | None:
    """The job's final status when something else ended it while it ran, else None."""
    status = state.status_of(engine, job_id)
    return None if status == JobStatus.RUNNING else (status or JobStatus.FAILED)


def describe_error(error: BaseException) -> str:
    """The cause stored on the job and shown to users: a :class:`JobError`'s (or any domain
    error's) French message as is; for anything else, only an error reference, under which
    the traceback is logged (its text may quote SQL and personal data)."""
    if isinstance(error, JobError | registry.UnknownJobKind):
        return str(error).strip()
    return logs.public_error(error, "job")


def _as_result(result: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    if not isinstance(result, Mapping):
        raise TypeError(f"a job returns a mapping or None, not {type(result).__name__}")
    return dict(result)


class _Heartbeat:
    """Touches the job's ``heartbeat_at`` every ``interval_s`` while the job runs, so that a
    job whose process died is recognised as interrupted; not while ``paused()`` (a SQLite
    job inside its own transaction, whose later writes another writer would break)."""

    def __init__(
        self, engine: Engine, job_id: int, interval_s: float, paused: Callable[[], bool]
    ) -> None:
        self._engine = engine
        self._paused = paused
        self._job_id = job_id
        self._interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(self._interval_s):
            if self._paused():  # see JobContext.holds_sqlite_snapshot
                continue
            try:
                state.heartbeat(self._engine, self._job_id)
            except Exception:  # a lost heartbeat must not kill the job; it is logged
                logger.exception("job %s: heartbeat failed", self._job_id)
