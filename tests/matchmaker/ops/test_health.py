"""``/sante`` (liveness) and ``/sante/pret`` (readiness) with their dependencies really
down: a database that cannot be opened or whose port is closed, a schema behind the
migrations, a Redis server that does not answer (issue 17, « Health »)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Job
from matchmaker.models.base import utcnow
from matchmaker.ops.health import migration_heads

#: Databases that do not answer: a SQLite file in a folder that does not exist, and a
#: PostgreSQL server on a port where nothing listens.
UNREACHABLE = {
    "sqlite-missing": "sqlite:///{tmp}/gone/no.sqlite3",
    "postgresql-closed-port": "postgresql+psycopg://postgres@127.0.0.1:1/test",
}


def _stamp(session: Session, revision: str) -> None:
    """Record ``revision`` as the schema's (inside the test's rolled-back transaction)."""
    session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    session.execute(text("INSERT INTO alembic_version VALUES (:revision)"), {"revision": revision})
    session.flush()


@pytest.fixture
def at_head(db_session: Session) -> Session:
    _stamp(db_session, migration_heads()[0])
    return db_session


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_alive_but_not_ready_without_a_database(tmp_path: Path, url: str) -> None:
    broken = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url.format(tmp=tmp_path)}
    )
    try:
        client = broken.test_client()
        alive = client.get("/sante")
        assert alive.status_code == 200 and alive.get_json() == {"statut": "vivant"}
        response = client.get("/sante/pret")
        assert response.status_code == 503
        payload = response.get_json()
        assert payload["statut"] == "indisponible"
        assert payload["en_panne"] == ["base_de_donnees"]
        assert payload["base_de_donnees"]["ok"] is False
        assert payload["base_de_donnees"]["erreur"] == "OperationalError"  # the class only
        assert payload["base_de_donnees"]["duree_ms"] < 5000
        assert "127.0.0.1" not in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        db.engine_of(broken).dispose()


def test_ready_when_the_database_answers_at_head(client: FlaskClient, at_head: Session) -> None:
    response = client.get("/sante/pret")
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    assert payload["statut"] == "pret" and payload["en_panne"] == []
    assert payload["base_de_donnees"]["ok"] is True
    assert payload["migrations"] == {
        "ok": True,
        "actuelle": migration_heads()[0],
        "attendue": migration_heads()[0],
    }
    assert payload["redis"] is None  # no REDIS_URL: jobs do not use it
    assert payload["taches"]["en_attente"] == 0
    assert payload["taches"]["plus_ancienne_en_attente_s"] is None


def test_not_ready_when_the_schema_is_not_migrated(
    client: FlaskClient, db_session: Session
) -> None:
    # The suite's schema comes from create_all: no Alembic revision recorded.
    response = client.get("/sante/pret")
    assert response.status_code == 503
    payload = response.get_json()
    assert payload["en_panne"] == ["migrations"]
    assert payload["migrations"]["actuelle"] is None
    assert client.get("/sante").status_code == 200


def test_not_ready_when_the_schema_is_behind(client: FlaskClient, db_session: Session) -> None:
    _stamp(db_session, "3c1e9a7d5b20-but-older")
    payload = client.get("/sante/pret").get_json()
    assert payload["en_panne"] == ["migrations"]
    assert payload["migrations"]["actuelle"] == "3c1e9a7d5b20-but-older"


def test_reports_the_oldest_queued_job(client: FlaskClient, at_head: Session) -> None:
    for minutes in (2, 7):
        at_head.add(Job(kind="test.succeed", created_at=utcnow() - timedelta(minutes=minutes)))
    at_head.add(Job(kind="test.succeed", status="succeeded"))
    at_head.flush()
    response = client.get("/sante/pret")
    assert response.status_code == 200  # reported, not judged
    payload = response.get_json()
    assert payload["taches"]["en_attente"] == 2
    assert 7 * 60 <= payload["taches"]["plus_ancienne_en_attente_s"] < 7 * 60 + 60


def test_not_ready_when_redis_does_not_answer(
    app: Flask, client: FlaskClient, at_head: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/sante/pret")
    assert response.status_code == 503
    payload = response.get_json()
    assert payload["en_panne"] == ["redis"]
    assert payload["redis"]["ok"] is False
    assert payload["base_de_donnees"]["ok"] is True
    assert client.get("/sante").status_code == 200


def test_ready_with_redis_and_its_queue_length(
    app: Flask,
    client: FlaskClient,
    at_head: Session,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
) -> None:
    from redis import Redis
    from rq import Queue

    queue_name = f"grappes-test-sante-{id(app)}-{utcnow().timestamp()}"
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "JOB_RQ_QUEUE", queue_name)
    queue = Queue(queue_name, connection=Redis.from_url(redis_url))
    queue.enqueue("builtins.print", "file de test")
    try:
        response = client.get("/sante/pret")
        assert response.status_code == 200, response.get_json()
        payload = response.get_json()
        assert payload["redis"]["ok"] is True
        assert payload["taches"]["file_rq"] == 1
    finally:
        queue.delete(delete_jobs=True)
