"""Starting, cancelling and reading background jobs.

Like every service, these take the session and the acting user, flush but never commit:
the job is handed to its backend only when the caller's transaction commits.
"""

from __future__ import annotations

import json
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session, object_session

from matchmaker.audit.services import record
from matchmaker.campaigns import services as campaign_services
from matchmaker.jobs import backends, registry
from matchmaker.models import Campaign, Job, Role, User
from matchmaker.models.base import utcnow
from matchmaker.ops import logs
from matchmaker.vocabulary import JobStatus


class JobNotCancellable(Exception):
    """The job has already ended."""


def enqueue(
    session: Session,
    kind: str,
    params: dict[str, Any] | None = None,
    user: User | None = None,
    *,
    campaign_id: int | None = None,
) -> Job:
    """Create a queued job of ``kind`` (a registered job function) with JSON ``params``.

    Must be called inside an app context (the backend comes from its configuration). The
    job starts once ``session`` commits; nothing starts if it rolls back.
    """
    registry.get(kind)
    params = dict(params or {})
    json.dumps(params)  # refuse non-JSON parameters now rather than in the worker
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = backends.backend_name(app.config)
    job = Job(
        kind=kind,
        params=params,
        status=JobStatus.QUEUED,
        progress=0.0,
        message="En attente de démarrage…",
        created_by_user_id=user.id if user is not None else None,
        campaign_id=campaign_id,
        backend=backends.row_backend(backend),
        request_id=logs.current_request_id(),
    )
    session.add(job)
    session.flush()
    if backend == "rq":
        job.rq_job_id = backends.new_rq_job_id(job.id)
    record(
        session,
        user,
        "job_enqueued",
        object_type="job",
        object_id=job.id,
        campaign_id=campaign_id,
        kind=kind,
    )
    real_session = object_session(job)
    assert real_session is not None
    backends.dispatch_after_commit(real_session, app, job.id)
    return job


def cancel(session: Session, job: Job, user: User | None) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next check (it is
    marked cancelled when it does). Raises :class:`JobNotCancellable` once ended."""
    if job.is_finished:
        raise JobNotCancellable(f"La tâche est déjà {job.status_label}.")
    now = utcnow()
    cancelled = cast(
        CursorResult[Any],
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.CANCELLED,
                finished_at=now,
                cancel_requested=True,
                message="Annulée avant son démarrage.",
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if cancelled == 1:
        hook = registry.abandon_hook(job.kind)
        if hook is not None:
            hook(session, job.params or {}, JobStatus.CANCELLED, "Annulé avant son démarrage.")
    else:
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(cancel_requested=True, cancel_requested_at=now, message="Annulation demandée…")
            .execution_options(synchronize_session=False)
        )
    record(
        session,
        user,
        "job_cancel_requested",
        object_type="job",
        object_id=job.id,
        campaign_id=job.campaign_id,
        kind=job.kind,
    )
    session.refresh(job)
    return job


def can_view(session: Session, user: User, job: Job) -> bool:
    """Who may follow a job: its author, administrators, and the collectif and ARS users
    of the region of the job's campaign."""
    if user.role == Role.ADMIN or job.created_by_user_id == user.id:
        return True
    if job.campaign_id is None or user.role not in (Role.COLLECTIF, Role.ARS):
        return False
    campaign = session.get(Campaign, job.campaign_id)
    return campaign is not None and campaign_services.can_read(session, user, campaign)


def can_cancel(session: Session, user: User, job: Job) -> bool:
    """Who may cancel a job: those who may follow it, except ARS users (read-only)."""
    if user.role == Role.ARS and job.created_by_user_id != user.id:
        return False
    return can_view(session, user, job)


#: French names of the job kinds, for the job's page.
KIND_LABELS = {
    "campaign.preview_upload": "Vérification d'un fichier déposé",
    "campaign.load_upload": "Chargement d'un fichier déposé",
    "campaign.solve": "Calcul des grappes",
}


def kind_label(job: Job) -> str:
    return KIND_LABELS.get(job.kind, job.kind)


def status_payload(job: Job) -> dict[str, Any]:
    """The JSON the site's progress display reads."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.status_label,
        "finished": job.is_finished,
        "progress": round(float(job.progress or 0.0), 4),
        "message": job.message,
        "error": job.error,
        "error_type": job.error_type,
        "cancel_requested": bool(job.cancel_requested),
        "result": job.result if job.status == JobStatus.SUCCEEDED else None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
