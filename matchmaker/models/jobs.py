"""Background jobs (imports, solver runs): their state, progress and outcome.

The row is the single source of truth that the site, the CLI and the workers read: the
embedded runner and RQ workers write progress, heartbeat and outcome here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow, vocabulary_type
from matchmaker.vocabulary import FINAL_STATUSES, JobStatus

JOB_STATUSES = JobStatus.values()
#: Statuses a job never leaves.
JOB_FINAL_STATUSES = tuple(status.value for status in JobStatus if status in FINAL_STATUSES)
#: ``thread``: run by the app's worker threads or by ``grappes worker`` polling this table;
#: ``rq``: sent to a Redis queue and run by an RQ worker.
JOB_BACKENDS = ("thread", "rq")


class Job(Base):
    """One background job of a given ``kind`` with its JSON ``params`` and ``result``.

    ``progress`` runs from 0 to 1 with a French ``message``; ``error`` holds the cause shown
    to users when the job failed and ``error_type`` the exception's class. A running job
    touches ``heartbeat_at`` regularly: a running job without a recent heartbeat was
    interrupted (its process died) and is marked failed by the periodic sweep of any running
    worker or embedded runner (:mod:`matchmaker.jobs.sweep`).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES!r}", name="status"),
        CheckConstraint(f"backend IN {JOB_BACKENDS!r}", name="backend"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        Index("ix_jobs_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[JobStatus] = mapped_column(
        vocabulary_type(JobStatus, 12), default=JobStatus.QUEUED
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(120))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the cancellation was asked: a running job that has not stopped some seconds
    #: later (``JOB_CANCEL_GRACE_S``) is stopped by the sweep.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    backend: Mapped[str] = mapped_column(String(8), default="thread")
    #: The machine and process that claimed the job: the sweep of a process on the same
    #: machine marks the job failed as soon as that process is gone.
    worker_host: Mapped[str | None] = mapped_column(String(255))
    worker_pid: Mapped[int | None] = mapped_column(Integer)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    #: The id of the request that started the job (``X-Request-ID``), in its log lines.
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: The job's log lines (the last ``JOB_LOG_MAX_CHARS``), shown in the console.
    log: Mapped[str | None] = mapped_column(Text)

    @property
    def is_finished(self) -> bool:
        return JobStatus(self.status).is_final

    @property
    def status_label(self) -> str:
        return JobStatus(self.status).feminine_label

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
