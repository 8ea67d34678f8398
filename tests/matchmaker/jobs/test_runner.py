"""One job's life: success with progress, failures with their cause, cancellation."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs import UnknownJobKind, backends, runner, services
from matchmaker.models import Job, Role
from tests.support import sample_jobs
from tests.support.jobs import MakeApp, add_user, enqueue, load


def test_a_job_succeeds_and_reports_progress(make_app: MakeApp) -> None:
    app = make_app()
    user = add_user(app, Role.COLLECTIF)
    job_id = enqueue(app, "test.succeed", {"echo": "bonjour"}, user)
    assert load(app, job_id).status == "queued"

    assert backends.work(app, burst=True) == 1

    job = load(app, job_id)
    assert job.status == "succeeded"
    assert job.progress == 1.0
    assert job.error is None
    assert job.started_at is not None and job.finished_at is not None
    # While it ran, another connection saw the progress committed.
    assert job.result == {
        "seen_progress": 0.5,
        "seen_message": "À mi-chemin",
        "seen_status": "running",
        "echo": "bonjour",
        "user_email": user.email,
    }
    with app.app_context():
        assert len(sample_jobs.written_by(db.session, job_id)) == 1


def test_a_domain_failure_shows_its_french_cause(make_app: MakeApp) -> None:
    app = make_app()
    job_id = enqueue(app, "test.fail_domain")
    backends.work(app, burst=True)
    job = load(app, job_id)
    assert job.status == "failed"
    assert job.error == "Le fichier « declarations.csv » est vide."
    assert job.error_type == "JobError"
    assert job.finished_at is not None


def test_an_unexpected_failure_keeps_its_type_and_rolls_back(make_app: MakeApp) -> None:
    app = make_app()
    job_id = enqueue(app, "test.fail_unexpected")
    backends.work(app, burst=True)
    job = load(app, job_id)
    assert job.status == "failed"
    assert job.error_type == "KeyError"
    assert job.error is not None
    # Users read a reference, never the exception's text (issue 17); the log has the rest.
    assert re.fullmatch(r"Une erreur est survenue\. Référence : E-[0-9A-Z]{5}", job.error)
    assert "colonne_finess" not in job.error
    with app.app_context():
        assert sample_jobs.written_by(db.session, job_id) == []


def test_a_job_must_return_a_mapping(make_app: MakeApp) -> None:
    app = make_app()
    job_id = enqueue(app, "test.bad_result")
    backends.work(app, burst=True)
    job = load(app, job_id)
    assert job.status == "failed"
    assert job.error_type == "TypeError"


def test_an_unknown_kind_is_refused_at_enqueue(app: Flask, db_session: Session) -> None:
    with pytest.raises(UnknownJobKind, match="inconnu"):
        services.enqueue(db_session, "test.nothing_of_that_name")


def test_non_json_params_are_refused_at_enqueue(app: Flask, db_session: Session) -> None:
    with pytest.raises(TypeError):
        services.enqueue(db_session, "test.succeed", {"when": object()})


def test_a_queued_job_cancelled_never_runs(make_app: MakeApp) -> None:
    app = make_app()
    job_id = enqueue(app, "test.succeed")
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        services.cancel(db.session, job, None)
        db.session.commit()
    assert backends.work(app, burst=True) == 0
    job = load(app, job_id)
    assert job.status == "cancelled"
    assert job.started_at is None
    with app.app_context():
        assert sample_jobs.written_by(db.session, job_id) == []


def test_an_ended_job_cannot_be_cancelled(make_app: MakeApp) -> None:
    app = make_app()
    job_id = enqueue(app, "test.fail_domain")
    backends.work(app, burst=True)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        with pytest.raises(services.JobNotCancellable, match="échouée"):
            services.cancel(db.session, job, None)


def test_a_job_taken_by_another_runner_is_not_run_twice(make_app: MakeApp) -> None:
    app = make_app()
    job_id = enqueue(app, "test.succeed")
    assert runner.execute(app, job_id) == "succeeded"
    assert runner.execute(app, job_id) is None
    with app.app_context():
        assert len(sample_jobs.written_by(db.session, job_id)) == 1
