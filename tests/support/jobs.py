"""Apps on a committed database of their own (for the job, campaign and production tests),
and what they need: accounts, enqueueing and reading jobs, Redis. A fixture module
(``pytest_plugins`` of ``tests/conftest.py``).

Jobs run in other threads (the embedded runner) or other connections (progress, RQ): they
must see committed rows, which the rolled-back ``db_session`` cannot give. Each test gets
a fresh database of the suite's kind: a SQLite file, or a PostgreSQL schema when
``GRAPPES_TEST_DATABASE_URL`` is set. The global ``db`` handle is bound back to the
suite's database afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.jobs import services
from matchmaker.jobs.backends import EMBEDDED_KEY
from matchmaker.models import Job, Organisation, Role, User
from tests.factories import make_organisation, make_user
from tests.helpers import scratch_database

#: The machine's Redis (``GRAPPES_TEST_REDIS_URL``, default the local server).
REDIS_URL = os.environ.get("GRAPPES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

MakeApp = Callable[..., Flask]


@pytest.fixture
def committed_database_url(app: Flask, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the schema whose commits are real (not rolled back)."""
    with scratch_database(tmp_path, "jobs") as url:
        yield url


@pytest.fixture
def make_app(app: Flask, committed_database_url: str, tmp_path: Path) -> Iterator[MakeApp]:
    """Build apps on the committed database (``JOB_BACKEND`` ``worker`` unless told)."""
    built: list[Flask] = []

    def make(**config: object) -> Flask:
        settings: dict[str, object] = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": committed_database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "JOB_BACKEND": "worker",
            "JOB_PROGRESS_INTERVAL_S": 0,
            # The limiter is one object for every app of the process: keep its counters in
            # memory even when a test points REDIS_URL at a (possibly unreachable) server.
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        settings.update(config)
        new_app = create_app(settings)
        built.append(new_app)
        return new_app

    try:
        yield make
    finally:
        for built_app in built:
            embedded = built_app.extensions.get(EMBEDDED_KEY)
            if embedded is not None:
                embedded.shutdown()
            db.engine_of(built_app).dispose()
        db.session.remove()


def add_user(
    app: Flask, role: Role, *, region: str | None = "53", email: str | None = None
) -> User:
    """A confirmed, approved account on ``app``'s database, committed (OG accounts belong to
    ASSOCIATION ALPHA, 350000001)."""
    with app.app_context():
        finess_ej = None
        if role == Role.OG:
            finess_ej = "350000001"
            if db.session.get(Organisation, finess_ej) is None:
                make_organisation(db.session, finess_ej, name="ASSOCIATION ALPHA")
        user = make_user(db.session, role, email=email, finess_ej=finess_ej, region=region)
        db.session.commit()
        db.session.expunge(user)
        return user


def enqueue(
    app: Flask, kind: str, params: dict[str, object] | None = None, user: User | None = None
) -> int:
    """Queue a job on ``app``, committed; its id."""
    with app.app_context():
        acting = db.session.get(User, user.id) if user is not None else None
        job = services.enqueue(db.session, kind, params, acting)
        db.session.commit()
        return job.id


def load(app: Flask, job_id: int) -> Job:
    """A job as stored now, read through a connection of its own."""
    with app.app_context(), Session(db.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _redis_missing(message: str) -> None:
    """Skipped locally, a failure in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis (``GRAPPES_TEST_REDIS_URL``, default the local server). Missing:
    skipped with a warning locally, a failure in CI."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError as error:
        _redis_missing(f"Redis is not reachable at {REDIS_URL} ({error})")
    return REDIS_URL


@pytest.fixture
def redis_queue_name() -> Iterator[str]:
    """A queue of its own on the real Redis; skipped locally (failed in CI) without it."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        _redis_missing(f"Redis is not reachable at {REDIS_URL}: {error}")
    name = f"grappes-test-{uuid.uuid4().hex[:12]}"
    yield name
    queue = Queue(name, connection=connection)
    queue.delete(delete_jobs=True)
    connection.close()
