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
    "Tâche interrompue par un redémarrage : le processus qui l'exécutait s'est arrêté "
    "(aucun signe de vie depuis plus de {seconds} s). Relancez-la."
)


@dataclass(frozen=True)
class ClaimedJob:
    """What a runner needs to run a job it has just claimed."""

    id: int
    kind: str
    params: dict[str, Any]
    user_id: int | None
    campaign_id: int | None
    request_id: str | None = None


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
                .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now)
            ),
        ).rowcount
        session.commit()
        if claimed != 1:
            return None
        job = session.get(Job, job_id)
        assert job is not None
        return ClaimedJob(
            job.id,
            job.kind,
            dict(job.params or {}),
            job.created_by_user_id,
            job.campaign_id,
            job.request_id,
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
) -> None:
    """Record the job's outcome and its log (its own transaction, waiting for locks as
    usual)."""
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
        session.execute(update(Job).where(Job.id == job_id).values(**values))
        session.commit()


def mark_stale(
    engine: Engine, stale_after_s: float, now: datetime | None = None
) -> list[ClaimedJob]:
    """Mark failed every running job whose last heartbeat is older than ``stale_after_s``
    (its process died: restart, crash, killed worker). Returns them."""
    now = now or datetime.now(UTC)
    limit = now - timedelta(seconds=stale_after_s)
    with Session(engine) as session:
        stale = [
            ClaimedJob(
                job.id, job.kind, dict(job.params or {}), job.created_by_user_id, job.campaign_id
            )
            for job in session.scalars(
                select(Job).where(
                    Job.status == JobStatus.RUNNING,
                    (Job.heartbeat_at < limit)
                    | (Job.heartbeat_at.is_(None) & (Job.started_at < limit)),
                )
            )
        ]
        if stale:
            session.execute(
                update(Job)
                .where(Job.id.in_([job.id for job in stale]), Job.status == JobStatus.RUNNING)
                .values(
                    status=JobStatus.FAILED,
                    finished_at=now,
                    heartbeat_at=None,
                    error=interrupted_error(stale_after_s),
                    error_type="Interrupted",
                )
            )
            session.commit()
            logger.warning(
                "jobs %s were interrupted by a restart: marked failed", [j.id for j in stale]
            )
        return stale


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
