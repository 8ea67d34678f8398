"""Writes to a job's row, each in its own short transaction on its own connection.

The job's work happens in another session whose transaction may stay open for long; the
state written here (claim, progress, heartbeat, outcome) is committed at once so that the
site and the CLI read it while the job runs. On SQLite a single writer holds the database
while the job writes: progress and heartbeat then wait only briefly
(``SQLITE_STATE_BUSY_MS``) and are skipped when the database stays locked, to be written
at the next call; the outcome is written after the job's own transaction has ended.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from matchmaker.models.base import utcnow
from matchmaker.models.jobs import Job
from matchmaker.vocabulary import JobStatus

logger = logging.getLogger(__name__)

#: How long a progress or heartbeat write waits for a SQLite write lock, in milliseconds.
SQLITE_STATE_BUSY_MS = 200
#: SQLite's default busy timeout (Python's sqlite3 ``timeout=5.0``), restored afterwards.
SQLITE_DEFAULT_BUSY_MS = 5000

#: The error stored on a running job found without a recent heartbeat.
INTERRUPTED_ERROR = (
    "Tâche interrompue : le processus qui l'exécutait s'est arrêté ou ne répond plus "
    "(aucun signe de vie depuis plus de {seconds} s). Relancez-la."
)
#: The error stored on a running job whose process is gone (seen on its own machine).
PROCESS_GONE_ERROR = "Tâche interrompue : le processus qui l'exécutait s'est arrêté. Relancez-la."
#: The message of a running job stopped because it did not honour a cancellation.
STOPPED_MESSAGE = "Annulée à la demande : la tâche a été arrêtée."
#: Final statuses (``matchmaker.models.jobs.JOB_FINAL_STATUSES``).
FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
#: How many times ``JOB_STALE_AFTER_S`` a job whose process is seen alive may stay silent.
LIVE_PATIENCE = 10
#: This machine, as recorded on the jobs its processes claim.
HOST = socket.gethostname()[:255]


#: Writes, in the session that ends a job, what must end with it: ``(session, job, final
#: status, French reason)`` (:func:`matchmaker.jobs.sweep.follow_in`).
Follow = Callable[[Session, "ClaimedJob", str, str], None]


@dataclass(frozen=True)
class ClaimedJob:
    """What a runner needs to run a job it has just claimed."""

    id: int
    kind: str
    params: dict[str, Any]
    user_id: int | None
    campaign_id: int | None
    request_id: str | None = None
    backend: str = "thread"
    rq_job_id: str | None = None


def claim(engine: Engine, job_id: int) -> ClaimedJob | None:
    """Move a queued job to running; None when it is not queued any more (another runner
    took it, or it was cancelled). The conditional update makes the claim atomic."""
    now = utcnow()
    with Session(engine) as session:
        claimed = cast(
            CursorResult[Any],
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.RUNNING,
                    started_at=now,
                    heartbeat_at=now,
                    worker_host=HOST,
                    worker_pid=os.getpid(),
                )
            ),
        ).rowcount
        session.commit()
        if claimed != 1:
            return None
        job = session.get(Job, job_id)
        assert job is not None
        return claimed_of(job)


def claimed_of(job: Job) -> ClaimedJob:
    return ClaimedJob(
        job.id,
        job.kind,
        dict(job.params or {}),
        job.created_by_user_id,
        job.campaign_id,
        job.request_id,
        job.backend,
        job.rq_job_id,
    )


def next_queued(engine: Engine, backend: str = "thread") -> list[int]:
    """Ids of the queued jobs of ``backend``, oldest first."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Job.id)
                .where(Job.status == JobStatus.QUEUED, Job.backend == backend)
                .order_by(Job.created_at, Job.id)
            )
        )


def write_progress(
    engine: Engine, job_id: int, fraction: float, message: str | None, log: str | None = None
) -> bool:
    """Record progress, a heartbeat and the log so far; False when SQLite stayed locked
    (skipped)."""
    values: dict[str, Any] = {"progress": fraction, "heartbeat_at": utcnow()}
    if message is not None:
        values["message"] = message[:300]
    if log is not None:
        values["log"] = log
    return _short_write(engine, job_id, values)


def heartbeat(engine: Engine, job_id: int) -> bool:
    """Tell the world the job's process is alive; False when SQLite stayed locked."""
    return _short_write(engine, job_id, {"heartbeat_at": utcnow()})


def cancel_requested(engine: Engine, job_id: int) -> bool:
    """Whether someone asked to cancel the job."""
    with Session(engine) as session:
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def finish(
    engine: Engine,
    job_id: int,
    status: str,
    *,
    message: str | None = None,
    error: str | None = None,
    error_type: str | None = None,
    result: dict[str, Any] | None = None,
    log: str | None = None,
    from_statuses: Sequence[str] = (JobStatus.RUNNING,),
    follow: Follow | None = None,
) -> bool:
    """Record the job's outcome and its log (its own transaction, waiting for locks as
    usual), unless it has ended meanwhile (the sweep stopped it): False then. ``follow``
    writes, in the same transaction, what must end with the job (its run, its upload)."""
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "heartbeat_at": None}
    if status == JobStatus.SUCCEEDED:
        values["progress"] = 1.0
    if message is not None:
        values["message"] = message[:300]
    if error is not None:
        values["error"] = error
        values["error_type"] = error_type
    if result is not None:
        values["result"] = result
    if log is not None:
        values["log"] = log
    with Session(engine) as session:
        written = cast(
            CursorResult[Any],
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(list(from_statuses)))
                .values(**values)
            ),
        ).rowcount
        if written == 1 and follow is not None:
            job = session.get(Job, job_id)
            assert job is not None
            follow(session, claimed_of(job), status, error or message or "")
        session.commit()
    return written == 1


def status_of(engine: Engine, job_id: int) -> str | None:
    """The job's status as committed now."""
    with Session(engine) as session:
        return session.scalar(select(Job.status).where(Job.id == job_id))


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def mark_stale(
    engine: Engine,
    stale_after_s: float,
    now: datetime | None = None,
    follow: Follow | None = None,
) -> list[tuple[ClaimedJob, str]]:
    """Mark failed every running job whose process died: its last heartbeat is older than
    ``stale_after_s``, or it was claimed by a process of this machine that is gone. On
    SQLite a job inside its own transaction writes no heartbeat: while its process (on this
    machine) lives, it is not stale. Returns the jobs marked and the reason stored."""
    now = now or datetime.now(UTC)
    limit = now - timedelta(seconds=stale_after_s)
    sqlite = engine.dialect.name == "sqlite"
    found: dict[int, tuple[Job, str]] = {}
    with Session(engine) as session:
        running = session.scalars(
            select(Job).where(
                Job.status == JobStatus.RUNNING,
                (Job.worker_host == HOST)
                | (Job.heartbeat_at < limit)
                | (Job.heartbeat_at.is_(None) & (Job.started_at < limit)),
            )
        )
        for job in running:
            reason = stale_reason(job, stale_after_s, now, sqlite=sqlite)
            if reason is not None:
                found[job.id] = (job, reason)
        marked: list[tuple[ClaimedJob, str]] = []
        for job, reason in found.values():
            changed = cast(
                CursorResult[Any],
                session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == JobStatus.RUNNING)
                    .values(
                        status=JobStatus.FAILED,
                        finished_at=now,
                        heartbeat_at=None,
                        message="Tâche interrompue.",
                        error=reason,
                        error_type="Interrupted",
                    )
                ),
            ).rowcount
            if changed == 1:
                marked.append((claimed_of(job), reason))
                if follow is not None:
                    follow(session, claimed_of(job), JobStatus.FAILED, reason)
        session.commit()
        if marked:
            logger.warning("jobs %s were interrupted: marked failed", [j.id for j, _ in marked])
        return marked


def stale_reason(
    job: Job, stale_after_s: float, now: datetime, *, sqlite: bool = False
) -> str | None:
    """Why running ``job`` is interrupted (the error to store), or None while it lives.

    A job claimed by a process of this machine is interrupted as soon as that process is
    gone. While the process lives, its silence is given ``LIVE_PATIENCE`` times longer (a
    loaded machine delays heartbeats; a hung job is cleared by ``grappes jobs clear``),
    and on SQLite, where a job inside its own transaction writes no heartbeat, none is
    expected. A job of another machine is interrupted after ``stale_after_s`` of silence.
    """
    local = job.worker_host == HOST and job.worker_pid is not None
    alive = local and process_alive(int(job.worker_pid or 0))
    if local and not alive:
        return PROCESS_GONE_ERROR
    if alive and sqlite:
        return None
    patience = stale_after_s * (LIVE_PATIENCE if alive else 1)
    last = job.heartbeat_at or job.started_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or last < now - timedelta(seconds=patience):
        return interrupted_error(patience)
    return None


def overdue_cancellations(
    engine: Engine, grace_s: float, now: datetime | None = None
) -> list[ClaimedJob]:
    """Running jobs asked to stop more than ``grace_s`` ago that have not stopped."""
    now = now or datetime.now(UTC)
    limit = now - timedelta(seconds=grace_s)
    with Session(engine) as session:
        return [
            claimed_of(job)
            for job in session.scalars(
                select(Job).where(
                    Job.status == JobStatus.RUNNING,
                    Job.cancel_requested.is_(True),
                    Job.cancel_requested_at < limit,
                )
            )
        ]


def end_running(
    engine: Engine,
    job_id: int,
    status: str,
    *,
    message: str,
    error: str | None = None,
    follow: Follow | None = None,
) -> bool:
    """End a running job from outside its runner (the sweep, ``grappes jobs clear``, a
    killed work horse); False when it had already ended."""
    return finish(
        engine,
        job_id,
        status,
        message=message,
        error=error,
        error_type="Interrupted" if status == JobStatus.FAILED else None,
        follow=follow,
    )


def interrupted_error(stale_after_s: float) -> str:
    return INTERRUPTED_ERROR.format(seconds=round(stale_after_s))


def _short_write(engine: Engine, job_id: int, values: dict[str, Any]) -> bool:
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_STATE_BUSY_MS}")
        try:
            connection.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(**values)
            )
            connection.commit()
        except OperationalError as error:
            if sqlite and "locked" in str(error.orig):
                logger.debug("job %s: state not written, SQLite is locked by the job", job_id)
                return False
            raise
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_DEFAULT_BUSY_MS}")
    return True
