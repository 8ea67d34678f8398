"""The progress API: ``GET /jobs/<id>`` and ``POST /jobs/<id>/annuler``, with their access
rules, on an app whose jobs run in its own threads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.jobs import backends, services
from matchmaker.models import Job, Role, User
from tests.factories import make_campaign, make_user
from tests.helpers import CsrfClient, login
from tests.support import sample_jobs
from tests.support.jobs import MakeApp, add_user, enqueue, load

JSON = {"Accept": "application/json"}


@pytest.fixture
def threaded_app(make_app: MakeApp) -> Flask:
    return make_app(JOB_BACKEND="thread")


@pytest.fixture
def browser(threaded_app: Flask) -> Iterator[CsrfClient]:
    with CsrfClient(threaded_app, threaded_app.response_class, use_cookies=True) as client:
        yield client


def test_the_author_follows_a_failing_job_and_reads_its_error(
    threaded_app: Flask, browser: CsrfClient
) -> None:
    user = add_user(threaded_app, Role.COLLECTIF)
    job_id = enqueue(threaded_app, "test.fail_domain", {}, user)
    assert threaded_app.extensions[backends.EMBEDDED_KEY].wait(timeout=60)
    login(browser, user)
    response = browser.get(f"/jobs/{job_id}", headers=JSON)
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["status"] == "failed"
    assert payload["status_label"] == "échouée"
    assert payload["finished"] is True
    assert payload["error"] == "Le fichier « declarations.csv » est vide."
    assert response.headers["Cache-Control"] == "no-store"


def test_a_running_job_is_cancelled_from_the_site(threaded_app: Flask, browser: CsrfClient) -> None:
    sample_jobs.STARTED.clear()
    user = add_user(threaded_app, Role.COLLECTIF)
    job_id = enqueue(threaded_app, "test.wait_for_cancel", {}, user)
    assert sample_jobs.STARTED.wait(timeout=60)
    login(browser, user)
    running = browser.get(f"/jobs/{job_id}", headers=JSON).get_json()
    assert running["status"] == "running"
    assert running["message"] == "Démarré"

    response = browser.post(f"/jobs/{job_id}/annuler", headers=JSON)
    assert response.status_code == 200
    assert response.get_json()["cancel_requested"] is True

    assert threaded_app.extensions[backends.EMBEDDED_KEY].wait(timeout=60)
    job = load(threaded_app, job_id)
    assert job.status == "cancelled"
    assert job.error is None
    again = browser.post(f"/jobs/{job_id}/annuler", headers=JSON)
    assert again.status_code == 409
    assert again.get_json()["refusal"] == "La tâche est déjà annulée."


# --- access rules, on the suite's rolled-back database (no job needs to run) ---------------


def queued_job(session: Session, author: User, campaign_id: int | None = None) -> int:
    job = services.enqueue(session, "test.succeed", {}, author, campaign_id=campaign_id)
    session.flush()
    return job.id


@pytest.mark.parametrize(
    ("role", "region", "may_view", "may_cancel"),
    [
        (Role.ADMIN, None, True, True),
        (Role.COLLECTIF, "53", True, True),
        (Role.ARS, "53", True, False),
        (Role.COLLECTIF, "28", False, False),
        (Role.ARS, "28", False, False),
        (Role.OG, None, False, False),
    ],
)
def test_who_may_follow_and_cancel_a_campaign_job(
    client: CsrfClient,
    db_session: Session,
    role: Role,
    region: str | None,
    may_view: bool,
    may_cancel: bool,
) -> None:
    author = make_user(db_session, Role.COLLECTIF, region="53")
    campaign = make_campaign(db_session, "Campagne 53", region="53", status="open")
    job_id = queued_job(db_session, author, campaign.id)
    login(client, make_user(db_session, role, region=region))
    view = client.get(f"/jobs/{job_id}", headers=JSON)
    assert view.status_code == (200 if may_view else 403)
    cancel = client.post(f"/jobs/{job_id}/annuler", headers=JSON)
    assert cancel.status_code == (200 if may_cancel else 403)
    job = db_session.get(Job, job_id)
    assert job is not None
    db_session.refresh(job)
    assert job.status == ("cancelled" if may_cancel else "queued")


def test_cancel_needs_the_csrf_token(client: CsrfClient, db_session: Session) -> None:
    user = make_user(db_session, Role.COLLECTIF)
    job_id = queued_job(db_session, user)
    login(client, user)
    response = client.post(f"/jobs/{job_id}/annuler", csrf=False)
    assert response.status_code == 400
    job = db_session.get(Job, job_id)
    assert job is not None and job.status == "queued"


def test_anonymous_visitors_are_sent_to_login(client: CsrfClient, db_session: Session) -> None:
    job_id = queued_job(db_session, make_user(db_session, Role.COLLECTIF))
    response = client.get(f"/jobs/{job_id}")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_an_unknown_job_is_a_404(client: CsrfClient, db_session: Session) -> None:
    login(client, make_user(db_session, Role.ADMIN))
    assert client.get("/jobs/999999", headers=JSON).status_code == 404
