"""Apps on a committed database of their own (for the job and campaign tests).

Jobs run in other threads (the embedded runner) or other connections (progress, RQ): they
must see committed rows, which the rolled-back ``db_session`` cannot give. Each test gets
a fresh database of the suite's kind: a SQLite file, or a PostgreSQL schema when
``GRAPPES_TEST_DATABASE_URL`` is set. The global ``db`` handle is bound back to the
suite's database afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from matchmaker import create_app
from matchmaker.auth import services as auth_services
from matchmaker.extensions import db
from matchmaker.jobs.backends import EMBEDDED_KEY
from matchmaker.models import Organisation, Role, User
from tests.helpers import scratch_database

PASSWORD = "motdepasse-solide-1"

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
    """A confirmed, approved user, committed."""
    with app.app_context():
        finess_ej = None
        if role == Role.OG:
            finess_ej = "350000001"
            if db.session.get(Organisation, finess_ej) is None:
                db.session.add(Organisation(finess_ej=finess_ej, name="ASSOCIATION ALPHA"))
                db.session.flush()
        user = auth_services.create_user(
            db.session,
            email=email or f"{role.value}-{uuid.uuid4().hex[:6]}@exemple.fr",
            password=PASSWORD,
            role=role,
            finess_ej=finess_ej,
            region=region if role in (Role.COLLECTIF, Role.ARS) else None,
        )
        db.session.commit()
        db.session.expunge(user)
        return user
