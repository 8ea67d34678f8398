"""Request ids carried into jobs, JSON logs, and each job's log in
the console (issue 14, « Health and observability »)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matchmaker.extensions import db
from matchmaker.jobs import backends, services
from matchmaker.models import Role
from matchmaker.ops import logs
from tests.helpers import CsrfClient, login
from tests.support import sample_jobs  # noqa: F401 (registers the test.* job kinds)
from tests.support.jobs import MakeApp, add_user, load

# --- request ids -------------------------------------------------------------------------


def test_a_request_id_is_echoed_or_made(client: FlaskClient) -> None:
    given = client.get("/sante", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.42"
    made = client.get("/sante")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    refused = client.get("/sante", headers={"X-Request-ID": 'a b"<script>'})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])
    assert logs.current_request_id() is None  # nothing leaks out of the request


def _enqueue_in_request(app: Flask, kind: str, request_id: str) -> int:
    with app.test_request_context("/console", headers={"X-Request-ID": request_id}):
        app.preprocess_request()
        job = services.enqueue(db.session, kind, {"echo": "x"})
        db.session.commit()
        return job.id


def test_a_job_carries_its_request_id_and_keeps_its_log(make_app: MakeApp) -> None:
    app = make_app()
    job_id = _enqueue_in_request(app, "test.succeed", "req-from-the-proxy")
    assert backends.work(app, burst=True) == 1
    job = load(app, job_id)
    assert job.status == "succeeded"
    assert job.request_id == "req-from-the-proxy"
    assert job.log is not None
    lines = job.log.splitlines()
    assert f"job {job_id} (test.succeed) started" in lines[0]
    assert any("À mi-chemin (50 %)" in line for line in lines)
    assert f"job {job_id} (test.succeed) succeeded" in lines[-1]


def test_a_failed_job_logs_its_reference_not_its_traceback(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The job's stored log (shown in the console) names the error's class and reference;
    the traceback, whose text may quote SQL and personal data, goes to the server's log."""
    app = make_app()
    job_id = _enqueue_in_request(app, "test.fail_unexpected", "req-2")
    backends.work(app, burst=True)
    job = load(app, job_id)
    assert job.status == "failed"
    assert job.log is not None and job.error is not None
    reference = job.error.rsplit(" ", 1)[-1]
    assert f"Unexpected error {reference} (KeyError)" in job.log
    assert "Traceback" not in job.log and "colonne_finess" not in job.log
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_the_job_log_keeps_its_last_characters(make_app: MakeApp) -> None:
    app = make_app(JOB_LOG_MAX_CHARS=120)
    job_id = _enqueue_in_request(app, "test.succeed", "req-3")
    backends.work(app, burst=True)
    log = load(app, job_id).log
    assert log is not None and len(log) <= 120
    assert log.endswith(f"job {job_id} (test.succeed) succeeded")


# --- the job's page ----------------------------------------------------------------------


@pytest.fixture
def browser(make_app: MakeApp) -> Iterator[tuple[Flask, CsrfClient]]:
    app = make_app()
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        yield app, client


def test_the_console_shows_a_job_log(browser: tuple[Flask, CsrfClient]) -> None:
    app, client = browser
    author = add_user(app, Role.COLLECTIF)
    with app.test_request_context(headers={"X-Request-ID": "req-journal"}):
        app.preprocess_request()
        from matchmaker.models import User

        job = services.enqueue(db.session, "test.succeed", {}, db.session.get(User, author.id))
        db.session.commit()
        job_id = job.id
    backends.work(app, burst=True)
    login(client, author)
    page = client.get(f"/jobs/{job_id}/journal")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Journal de la tâche n° {job_id}" in html
    assert "À mi-chemin (50 %)" in html and "req-journal" in html and "terminée" in html


def test_a_job_log_is_not_shown_to_others(browser: tuple[Flask, CsrfClient]) -> None:
    app, client = browser
    author = add_user(app, Role.COLLECTIF)
    stranger = add_user(app, Role.OG)
    with app.app_context():
        from matchmaker.models import User

        job = services.enqueue(db.session, "test.succeed", {}, db.session.get(User, author.id))
        db.session.commit()
        job_id = job.id
    assert client.get(f"/jobs/{job_id}/journal").status_code in (302, 401)
    login(client, stranger)
    assert client.get(f"/jobs/{job_id}/journal").status_code == 403


# --- JSON logs ---------------------------------------------------------------------------


@pytest.fixture
def json_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    logs.configure("json", "INFO", stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def test_json_logs_carry_the_request_and_the_job(
    make_app: MakeApp, json_stream: io.StringIO
) -> None:
    app = make_app()
    with app.test_request_context(headers={"X-Request-ID": "req-json"}):
        app.preprocess_request()
        logging.getLogger("matchmaker.test").warning("dans la requête « %s »", "é")
    job_id = _enqueue_in_request(app, "test.succeed", "req-json")
    backends.work(app, burst=True)
    records = [json.loads(line) for line in json_stream.getvalue().splitlines()]
    assert all(set(r) >= {"time", "level", "logger", "message", "request_id"} for r in records)
    first = records[0]
    assert first["message"] == "dans la requête « é »"
    assert "requête « é »" in json_stream.getvalue()  # readable UTF-8, not \u escapes
    assert (first["level"], first["logger"], first["request_id"]) == (
        "WARNING",
        "matchmaker.test",
        "req-json",
    )
    from_job = [r for r in records if r["job_id"] == job_id]
    assert any(r["message"] == "À mi-chemin (50 %)" for r in from_job)
    assert {r["request_id"] for r in from_job} == {"req-json"}


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT inconnu"):
        logs.configure("xml")
