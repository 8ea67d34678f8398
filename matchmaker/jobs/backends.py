"""Where jobs run: the app's own threads, ``grappes worker`` polling the jobs table, or RQ.

The backend comes from ``JOB_BACKEND`` (default: ``rq`` when ``REDIS_URL`` is set,
``thread`` otherwise):

- ``thread``: a thread pool started lazily in the app's process runs the job as soon as
  the transaction that created it commits; ``grappes worker`` may run such jobs too.
- ``worker``: jobs wait in the table until ``grappes worker`` (or :func:`work`) runs them.
- ``rq``: the job is sent to the Redis queue ``JOB_RQ_QUEUE`` once committed; an RQ worker
  (``grappes worker``) calls :func:`matchmaker.jobs.runner.run_rq_job`.

Whatever the backend, the job code and its row are the same (:mod:`.runner`). Every
runner (the app's pool, ``grappes worker``, an RQ worker) sweeps when it starts and then
every ``JOB_SWEEP_INTERVAL_S`` (:mod:`.sweep`): jobs of dead processes are marked failed,
jobs that ignore a cancellation are stopped. Under RQ, a work horse that dies (killed, out
of memory) fails its job at once (:func:`horse_died`).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from functools import partial
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs import runner, state, sweep
from matchmaker.vocabulary import JobStatus

if TYPE_CHECKING:  # Redis and RQ are imported when a queue is used, not at start-up
    from redis import Redis
    from rq import Queue
    from rq.worker import BaseWorker

logger = logging.getLogger(__name__)

BACKENDS = ("thread", "worker", "rq")
#: ``session.info`` key of the jobs to dispatch when the session commits.
PENDING_KEY = "grappes.jobs.pending"
LISTENING_KEY = "grappes.jobs.listening"
#: ``app.extensions`` key of the embedded runner.
EMBEDDED_KEY = "grappes.jobs.embedded"
RQ_FUNCTION = "matchmaker.jobs.runner.run_rq_job"
#: How long RQ keeps a job's result (the outcome lives on the job's row).
RQ_RESULT_TTL_S = 600

_embedded_lock = threading.Lock()


class JobBackendError(RuntimeError):
    """The job backend is misconfigured."""


def backend_name(config: Mapping[str, Any]) -> str:
    """The configured backend: ``JOB_BACKEND``, else ``rq`` with a ``REDIS_URL``, else
    ``thread``."""
    name = config.get("JOB_BACKEND") or ("rq" if config.get("REDIS_URL") else "thread")
    if name not in BACKENDS:
        raise JobBackendError(
            f"JOB_BACKEND inconnu : « {name} » (valeurs possibles : {', '.join(BACKENDS)})."
        )
    if name == "rq" and not config.get("REDIS_URL"):
        raise JobBackendError("JOB_BACKEND=rq demande REDIS_URL.")
    return name


def row_backend(name: str) -> str:
    """The ``Job.backend`` value of a configured backend (``worker`` rows are ``thread``)."""
    return "rq" if name == "rq" else "thread"


def new_rq_job_id(job_id: int) -> str:
    """A Redis job id unique across databases sharing one Redis."""
    return f"grappes-{job_id}-{uuid.uuid4().hex[:12]}"


def dispatch_after_commit(session: Session, app: Flask, job_id: int) -> None:
    """Hand job ``job_id`` to its backend once ``session`` commits (never before: a runner
    could not see the row); forget it if the session rolls back."""
    session.info.setdefault(PENDING_KEY, []).append((app, job_id))
    if not session.info.get(LISTENING_KEY):
        event.listen(session, "after_commit", _dispatch_pending)
        event.listen(session, "after_rollback", _forget_pending)
        session.info[LISTENING_KEY] = True


def _dispatch_pending(session: Session) -> None:
    for app, job_id in session.info.pop(PENDING_KEY, []):
        dispatch(app, job_id)


def _forget_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def dispatch(app: Flask, job_id: int) -> None:
    """Send a committed queued job to the configured backend."""
    name = backend_name(app.config)
    if name == "thread":
        EmbeddedRunner.for_app(app).submit(job_id)
    elif name == "rq":
        _send_to_rq(app, job_id)


def recover_stale(app: Flask) -> list[int]:
    """Mark failed the running jobs of dead processes and let their rows follow
    (:func:`.sweep.recover_stale`). Returns their ids."""
    return sweep.recover_stale(app)


# --- embedded: threads of the app's process ----------------------------------------------


class EmbeddedRunner:
    """The app's thread pool (``JOB_THREADS`` threads), started at the first job."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._executor = ThreadPoolExecutor(
            max_workers=int(app.config["JOB_THREADS"]), thread_name_prefix="grappes-job"
        )
        self._futures: set[Future[str | None]] = set()
        self._lock = threading.Lock()

    @classmethod
    def for_app(cls, app: Flask) -> EmbeddedRunner:
        """The app's runner, started (and recovering) on first use."""
        with _embedded_lock:
            embedded = app.extensions.get(EMBEDDED_KEY)
            if embedded is None:
                embedded = cls(app)
                app.extensions[EMBEDDED_KEY] = embedded
                embedded.recover()
                sweep.ensure_started(app)
            return embedded

    def recover(self) -> None:
        """Sweep (jobs of dead processes failed), then queue the table's waiting jobs."""
        engine = db.engine_of(self.app)
        sweep.sweep(self.app)
        waiting = state.next_queued(engine, "thread")
        for job_id in waiting:
            self.submit(job_id)

    def submit(self, job_id: int) -> None:
        future = self._executor.submit(runner.execute, self.app, job_id)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job has ended; False if ``timeout`` expired first."""
        with self._lock:
            futures = list(self._futures)
        _, not_done = wait_futures(futures, timeout=timeout)
        return not not_done

    def shutdown(self) -> None:
        """Stop accepting jobs and wait for the running ones; stop the sweep."""
        self._executor.shutdown(wait=True)
        sweep.stop(self.app)

    def _done(self, future: Future[str | None]) -> None:
        with self._lock:
            self._futures.discard(future)
        error = future.exception()
        if error is not None:
            logger.error("embedded job runner failed", exc_info=error)


def work(app: Flask, *, burst: bool = False, stop: threading.Event | None = None) -> int:
    """``grappes worker`` without Redis: run the table's queued jobs one after the other,
    polling every ``JOB_POLL_INTERVAL_S``; with ``burst``, return once none is left.
    Returns how many jobs it ran."""
    stop = stop or threading.Event()
    interval = float(app.config["JOB_POLL_INTERVAL_S"])
    engine = db.engine_of(app)
    sweep.sweep(app)
    sweeper = None if burst else sweep.Sweeper(app).start()
    ran = 0
    try:
        while not stop.is_set():
            waiting = state.next_queued(engine, "thread")
            for job_id in waiting:
                if stop.is_set():
                    break
                if runner.execute(app, job_id) is not None:
                    ran += 1
            if not waiting:
                if burst:
                    break
                stop.wait(interval)
    finally:
        if sweeper is not None:
            sweeper.stop()
    return ran


# --- RQ on Redis -------------------------------------------------------------------------


def redis_connection(config: Mapping[str, Any]) -> Redis:
    from redis import Redis

    return Redis.from_url(str(config["REDIS_URL"]))


def rq_queue(config: Mapping[str, Any], connection: Redis | None = None) -> Queue:
    """The RQ queue of the jobs (``JOB_RQ_QUEUE``)."""
    from rq import Queue

    return Queue(str(config["JOB_RQ_QUEUE"]), connection=connection or redis_connection(config))


def rq_worker(app: Flask, *, simple: bool = False) -> BaseWorker:
    """An RQ worker on the jobs queue, after a sweep. ``simple`` runs jobs in the worker's
    own process (no fork), as tests do; call ``work()`` on it inside ``app.app_context()``
    (``grappes worker`` also runs a :class:`.sweep.Sweeper` beside it)."""
    from rq import SimpleWorker, Worker

    sweep.sweep(app)
    app.extensions[runner.PARENT_PID_KEY] = os.getpid()
    connection = redis_connection(app.config)
    queue = rq_queue(app.config, connection)
    if simple:
        return SimpleWorker([queue], connection=connection)
    return Worker(
        [queue], connection=connection, work_horse_killed_handler=partial(_horse_killed, app)
    )


def _horse_killed(app: Flask, rq_job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
    """RQ's hook for a work horse that died unexpectedly (killed, out of memory)."""
    try:
        job_id = int(rq_job.args[0])
    except (AttributeError, IndexError, TypeError, ValueError):
        return
    horse_died(app, job_id)


def horse_died(app: Flask, job_id: int) -> None:
    """The process running job ``job_id`` died: end it (cancelled when a cancellation was
    asked, failed otherwise) and let its rows follow."""
    from matchmaker.models import Job

    engine = db.engine_of(app)
    with Session(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.RUNNING:
            return
        cancelled = bool(job.cancel_requested)
    if cancelled:
        state.end_running(
            engine,
            job_id,
            JobStatus.CANCELLED,
            message=state.STOPPED_MESSAGE,
            follow=sweep.follow_as_cancelled,
        )
        return
    state.end_running(
        engine,
        job_id,
        JobStatus.FAILED,
        message="Tâche interrompue.",
        error=state.PROCESS_GONE_ERROR,
        follow=sweep.follow_in,
    )


def _send_to_rq(app: Flask, job_id: int) -> None:
    from redis.exceptions import RedisError

    from matchmaker.models import Job

    engine = db.engine_of(app)
    with Session(engine) as session:
        job = session.get(Job, job_id)
        rq_job_id = job.rq_job_id if job is not None else None
    try:
        rq_queue(app.config).enqueue(
            RQ_FUNCTION,
            job_id,
            job_id=rq_job_id or new_rq_job_id(job_id),
            job_timeout=int(app.config["JOB_TIMEOUT_S"]),
            result_ttl=RQ_RESULT_TTL_S,
            description=f"grappes job {job_id}",
        )
    except RedisError as error:
        logger.exception("job %s could not be sent to Redis", job_id)
        state.finish(
            engine,
            job_id,
            JobStatus.FAILED,
            message="Échec de la mise en file d'attente.",
            error=f"File d'attente Redis injoignable : {error}",
            error_type=type(error).__name__,
            from_statuses=(JobStatus.QUEUED,),
            follow=sweep.follow_in,
        )
