"""The progress API: ``GET /jobs/<id>`` and ``POST /jobs/<id>/annuler``, with their access
rules, on an app whose jobs run in its own threads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.auth import services as auth_services
from matchmaker.jobs import backends, services
from matchmaker.models import Campaign, Job, Organisation, Role, User
from tests.helpers import CsrfClient
from tests.jobs import sample_jobs
from tests.jobs.committed import PASSWORD, MakeApp, add_user
from tests.jobs.test_runner import enqueue, load

JSON = {"Accept": "application/json"}


@pytest.fixture
def threaded_app(make_app: MakeApp) -> Flask:
    return make_app(JOB_BACKEND="thread")


@pytest.fixture
def browser(threaded_app: Flask) -> Iterator[CsrfClient]:
    with CsrfClient(threaded_app, threaded_app.response_class, use_cookies=True) as client:
        yield client


def login(client: CsrfClient, user: User) -> None:
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


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


@pytest.fixture
def session_client(app: Flask, db_session: Session) -> Iterator[CsrfClient]:
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        yield client


def make_user(session: Session, role: Role, region: str | None = "53") -> User:
    finess_ej = None
    if role == Role.OG:
        organisation = Organisation(finess_ej="350000001", name="ASSOCIATION ALPHA")
        session.add(organisation)
        session.flush()
        finess_ej = organisation.finess_ej
    return auth_services.create_user(
        session,
        email=f"{role.value}-{uuid.uuid4().hex[:6]}@exemple.fr",
        password=PASSWORD,
        role=role,
        finess_ej=finess_ej,
        region=region if role in (Role.COLLECTIF, Role.ARS) else None,
    )


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
    session_client: CsrfClient,
    db_session: Session,
    role: Role,
    region: str | None,
    may_view: bool,
    may_cancel: bool,
) -> None:
    author = make_user(db_session, Role.COLLECTIF, "53")
    campaign = Campaign(name="Campagne 53", region="53", status="open")
    db_session.add(campaign)
    db_session.flush()
    job_id = queued_job(db_session, author, campaign.id)
    login(session_client, make_user(db_session, role, region))
    view = session_client.get(f"/jobs/{job_id}", headers=JSON)
    assert view.status_code == (200 if may_view else 403)
    cancel = session_client.post(f"/jobs/{job_id}/annuler", headers=JSON)
    assert cancel.status_code == (200 if may_cancel else 403)
    job = db_session.get(Job, job_id)
    assert job is not None
    db_session.refresh(job)
    assert job.status == ("cancelled" if may_cancel else "queued")


def test_cancel_needs_the_csrf_token(session_client: CsrfClient, db_session: Session) -> None:
    user = make_user(db_session, Role.COLLECTIF)
    job_id = queued_job(db_session, user)
    login(session_client, user)
    response = session_client.post(f"/jobs/{job_id}/annuler", csrf=False)
    assert response.status_code == 400
    job = db_session.get(Job, job_id)
    assert job is not None and job.status == "queued"


def test_anonymous_visitors_are_sent_to_login(
    session_client: CsrfClient, db_session: Session
) -> None:
    job_id = queued_job(db_session, make_user(db_session, Role.COLLECTIF))
    response = session_client.get(f"/jobs/{job_id}")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_an_unknown_job_is_a_404(session_client: CsrfClient, db_session: Session) -> None:
    login(session_client, make_user(db_session, Role.ADMIN))
    assert session_client.get("/jobs/999999", headers=JSON).status_code == 404
