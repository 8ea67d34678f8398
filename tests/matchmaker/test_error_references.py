"""Errors for users, logs for operators (issue 17, point 5): a real failure's SQL, its
parameters and the personal data they carry never reach a page, a JSON answer, an e-mail or
a stored job, upload or run; the user reads a French message and a reference, and the log
holds the traceback under that reference.

Failures are real: a unique violation in a declarations import (the index the test adds on
the committed database), a table gone under a console page, a database that cannot be
opened.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.jobs import backends
from matchmaker.models import AuditEvent, Campaign, Job, OutboxMail, SolverRun, Upload
from tests.factories import make_establishment, make_organisation
from tests.helpers import CsrfClient, login
from tests.support.desk import build_desk
from tests.support.jobs import MakeApp

REFERENCE = re.compile(r"Référence : (E-[0-9A-Z]{5})")
#: Words of SQL that no message for users contains.
SQL_WORDS = re.compile(r"\b(INSERT INTO|SELECT|UPDATE \w+ SET|DELETE FROM|VALUES|\[SQL:)", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
#: The contact addresses of the file: personal data the site must not echo back.
CONTACTS = [f"directrice.{i}@ehpad-{i}.fr" for i in range(3)]


def _assert_clean(where: str, shown: str | None, typed: frozenset[str] = frozenset()) -> None:
    """No SQL and no e-mail address other than ``typed`` in ``shown``."""
    if not shown:
        return
    assert not SQL_WORDS.search(shown), f"SQL in {where}: {shown[:300]}"
    leaked = set(EMAIL.findall(shown)) - typed
    assert not leaked, f"e-mail addresses in {where}: {leaked}"


def _the_reference(shown: str) -> str:
    if shown.startswith("{"):
        payload = json.loads(shown)
        assert payload["detail"] == f"Une erreur est survenue. Référence : {payload['reference']}"
        return str(payload["reference"])
    found = REFERENCE.search(html.unescape(shown))
    assert found, f"no error reference in: {shown[:300]}"
    return found.group(1)


def _logged_under(caplog: pytest.LogCaptureFixture, reference: str) -> str:
    """The traceback logged under ``reference`` (there is one)."""
    records = [r for r in caplog.records if reference in r.getMessage()]
    assert records, f"nothing logged under {reference}"
    assert records[0].exc_info is not None
    return logging.Formatter().formatException(records[0].exc_info)


@pytest.fixture
def committed(make_app: MakeApp) -> Iterator[tuple[Flask, CsrfClient, int, list[str], str]]:
    """An app on a committed database: a campaign, its owner logged in, 3 new ESSMS."""
    app = make_app()
    with app.app_context():
        desk = build_desk(db.session, app.config)
        og = make_organisation(db.session, name="OG NOUVEAU", department="35")
        new = [
            make_establishment(
                db.session, og, department="35", latitude=48.1 + i / 100, longitude=-1.6
            ).finess_et
            for i in range(3)
        ]
        db.session.commit()
        db.session.expunge_all()
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        login(client, desk.owner)
        yield app, client, desk.campaign.id, new, desk.owner.email


def test_a_unique_violation_in_an_import_shows_a_reference_not_the_sql(
    committed: tuple[Flask, CsrfClient, int, list[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, client, campaign_id, new, owner_email = committed
    caplog.set_level(logging.INFO)
    lines = ["finess_et;editeur;statut_dui;email_contact;commentaire"]
    lines += [
        f"{finess};Alpha Santé;référencé Ségur;{email};à rappeler"
        for finess, email in zip(new, CONTACTS, strict=True)
    ]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    response = client.post(
        f"/console/campagnes/{campaign_id}/fichiers",
        data={"kind": "declarations", "file": (io.BytesIO(content), "contacts.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    backends.work(app, burst=True)  # the preview writes nothing: it passes
    with app.app_context():
        # The same comment on two new rows now breaks a unique index: the load fails inside
        # its INSERT, whose parameters hold the file's contact addresses.
        db.session.execute(text("CREATE UNIQUE INDEX uq_test_comment ON declarations (comment)"))
        db.session.commit()
        upload = db.session.scalars(select(Upload).order_by(Upload.id.desc())).one()
        assert upload.status == "previewed", upload.preview
    page_url = f"/console/campagnes/{campaign_id}/fichiers/{upload.id}"
    assert client.post(f"{page_url}/confirmer").status_code == 302
    backends.work(app, burst=True)

    with app.app_context():
        upload = db.session.get(Upload, upload.id)
        assert upload is not None and upload.status == "failed"
        job = db.session.get(Job, upload.load_job_id)
        assert job is not None and job.status == "failed"
        stored = {
            "job.message": job.message,
            "job.error": job.error,
            "job.log": job.log,
            "upload.outcome": str(upload.outcome),
            "upload.preview": str(upload.preview),
        }
        mails = list(db.session.scalars(select(OutboxMail)))
        runs = list(db.session.scalars(select(SolverRun)))
    assert job.error is not None
    reference = _the_reference(job.error)
    assert job.error == f"Une erreur est survenue. Référence : {reference}"
    assert reference in str(upload.outcome)  # the same reference on the upload
    for where, value in stored.items():
        _assert_clean(where, value)
    for mail in mails:
        _assert_clean(f"mail to {mail.to}", f"{mail.subject}\n{mail.body}", frozenset({mail.to}))
    for run in runs:
        _assert_clean(f"run {run.id}", run.error)
    page = client.get(page_url).get_data(as_text=True)
    assert reference in page
    _assert_clean("the upload page", page, frozenset({owner_email}))
    status = client.get(f"/jobs/{job.id}", headers={"Accept": "application/json"})
    _assert_clean("the job's JSON", status.get_data(as_text=True))
    journal = client.get(f"/jobs/{job.id}/journal").get_data(as_text=True)
    _assert_clean("the job's journal", journal, frozenset({owner_email}))
    # The operator's side: the traceback, SQL and all, is in the log under the reference.
    traceback = _logged_under(caplog, reference)
    assert "IntegrityError" in traceback and "INSERT INTO declarations" in traceback


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_failing_page_shows_a_reference_and_logs_the_sql(
    committed: tuple[Flask, CsrfClient, int, list[str], str],
    caplog: pytest.LogCaptureFixture,
    accept: str,
) -> None:
    app, client, campaign_id, _new, owner_email = committed
    with app.app_context():
        db.session.execute(text("ALTER TABLE uploads RENAME TO uploads_gone"))
        db.session.commit()
    response = client.get(f"/console/campagnes/{campaign_id}", headers={"Accept": accept})
    assert response.status_code == 500
    shown = response.get_data(as_text=True)
    reference = _the_reference(shown)
    _assert_clean("the 500 page", shown, frozenset({owner_email}))
    assert "uploads" not in shown
    traceback = _logged_under(caplog, reference)
    assert "uploads" in traceback and "SELECT" in traceback
    assert response.headers["X-Request-ID"]


def test_an_unreachable_database_shows_a_reference(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gone' / 'no.sqlite3'}",
        }
    )
    try:
        response = broken.test_client().get("/")
        assert response.status_code == 500
        shown = response.get_data(as_text=True)
        reference = _the_reference(shown)
        _assert_clean("the home page", shown)
        assert "sqlite" not in shown.lower() and str(tmp_path) not in shown
        assert "OperationalError" in _logged_under(caplog, reference)
    finally:
        db.engine_of(broken).dispose()


# --- one path from a domain error to HTTP, one transaction per request -------------------


def _status(app: Flask, campaign_id: int) -> str:
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def test_a_refused_form_is_flashed_back_and_a_success_is_committed_by_the_request(
    committed: tuple[Flask, CsrfClient, int, list[str], str],
) -> None:
    app, client, campaign_id, _new, _owner = committed
    url = f"/console/campagnes/{campaign_id}/etat"
    # « open » from « open »: the service refuses; the form goes back to the campaign's page.
    refused = client.post(url, data={"action": "open"})
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"/console/campagnes/{campaign_id}")
    page = html.unescape(client.get(refused.headers["Location"]).get_data(as_text=True))
    assert "Impossible depuis l'état « déclarations ouvertes »." in page
    # An API client gets the status and the French message instead.
    as_json = client.post(url, data={"action": "open"}, headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert as_json.get_json()["detail"] == "Impossible depuis l'état « déclarations ouvertes »."
    assert _status(app, campaign_id) == "open"
    # A success: the view does not commit, the request does (seen from another session).
    done = client.post(url, data={"action": "close_declarations"})
    assert done.status_code == 302
    assert _status(app, campaign_id) == "closed"
    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.campaign_id == campaign_id)
            )
        )
    assert "campaign.close_declarations" in actions


def test_a_forbidden_or_unknown_object_gets_its_page_with_the_french_reason(
    committed: tuple[Flask, CsrfClient, int, list[str], str],
) -> None:
    _app, client, _campaign_id, _new, _owner = committed
    response = client.get("/organismes/999999999")
    assert response.status_code in (403, 404)
    shown = html.unescape(response.get_data(as_text=True))
    assert "Vous ne pouvez pas consulter cet organisme." in shown or "introuvable" in shown
