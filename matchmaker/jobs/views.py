"""The progress display's API: a job's state as JSON, and its cancellation."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from matchmaker.auth.decorators import ANY_ROLE, roles_required
from matchmaker.errors import wants_json
from matchmaker.extensions import db
from matchmaker.jobs import backends, services, sweep
from matchmaker.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.before_app_request
def _sweep_in_this_process() -> None:
    """Every site process sweeps (:mod:`matchmaker.jobs.sweep`), whatever the backend, so
    a job never stays « en cours » for want of a worker; with the thread backend its
    runner starts too, taking up the jobs left queued by a restart. Not under tests,
    which start runners and sweeps when they mean to."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sweeper = app.extensions.get(sweep.SWEEPER_KEY)
    if app.testing or (sweeper is not None and sweeper.alive):
        return
    if backends.backend_name(app.config) == "thread":
        backends.EmbeddedRunner.for_app(app)
    sweep.ensure_started(app)


def _get_job(job_id: int, *, for_cancel: bool = False) -> Job:
    """The job, or 404; 403 unless the current user may follow (or cancel) it. The one
    place where access to jobs is checked."""
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    allowed = services.can_cancel if for_cancel else services.can_view
    if not allowed(db.session, current_user, job):
        abort(403)
    return job


@bp.get("/<int:job_id>")
@roles_required(*ANY_ROLE)
def status(job_id: int) -> ResponseReturnValue:
    job = _get_job(job_id)
    # never cached: every response to a logged-in user says so (matchmaker.security)
    return jsonify(services.status_payload(job))


@bp.get("/<int:job_id>/journal")
@roles_required(*ANY_ROLE)
def journal(job_id: int) -> ResponseReturnValue:
    """The job's state and log lines, for whoever may follow it."""
    job = _get_job(job_id)
    return render_template("jobs/journal.html", job=job, kind_label=services.kind_label(job))


@bp.post("/<int:job_id>/annuler")
@roles_required(*ANY_ROLE)
def cancel(job_id: int) -> ResponseReturnValue:
    job = _get_job(job_id, for_cancel=True)
    try:
        job = services.cancel(db.session, job, current_user)
    except services.JobNotCancellable as error:
        if wants_json():
            payload = services.status_payload(job)
            payload["refusal"] = str(error)
            return jsonify(payload), 409
        flash(str(error), "warning")
    else:
        db.session.commit()
        if wants_json():
            return jsonify(services.status_payload(job))
        flash("Annulation demandée.", "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("jobs.status", job_id=job.id))


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
