"""The suite's fixtures: the app, its database, the client, the CLI runner, the real data,
accounts (``make_user``) and logging in (``auth``), the site's small world. The only place
they are defined (a folder's ``conftest.py`` may override ``world`` and ``user_defaults``
for its own world); builders live in ``tests/factories.py``.

The database is created once per test session (SQLite file per xdist worker by default;
PostgreSQL when ``GRAPPES_TEST_DATABASE_URL`` is set, in a schema of its own per worker).
Each test runs inside a transaction rolled back at the end ("join a session into an external
transaction"), so services may ``commit``: they release a savepoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.extensions import db, limiter
from matchmaker.models import Role, User
from tests.factories import MakeUser, UserDefaults
from tests.factories import make_user as new_user
from tests.helpers import ROOT, Auth, CsrfClient, scratch_database
from tests.support.bretagne import World, build_world

#: Fixture modules: the declaration tests' world; apps on a committed database and Redis.
pytest_plugins = ["tests.support.declarations", "tests.support.jobs"]

SHARED = Path(os.environ.get("GRAPPES_SHARED_DIR", ROOT.parent / "shared"))
DB_FIXTURES = {"app", "db_session", "client", "runner"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the database, so the PostgreSQL pass can select them."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (the real FINESS sample). Missing: skip locally, fail loudly in CI."""
    if not (SHARED / "data" / "finess").is_dir():
        message = f"../shared is missing (looked in {SHARED}); the real FINESS sample is needed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED


@pytest.fixture(scope="session")
def finess_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "finess"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database with the schema, private to this test session and worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with scratch_database(tmp_path_factory.mktemp("db"), f"t_{worker}") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app, built once per session with a test configuration."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "RATELIMIT_ENABLED": True,
            # Jobs wait in the table: tests run them explicitly (tests/matchmaker/jobs).
            "JOB_BACKEND": "worker",
        }
    )
    yield app
    db.engine_of(app).dispose()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with empty rate-limit counters (the limiter's storage is shared by
    every app of the process)."""
    if limiter.initialized:
        limiter.reset()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """``db.session`` bound to one connection whose transaction is rolled back after the
    test; the session's own commits become savepoint releases."""
    engine = db.engine_of(app)
    connection = engine.connect()
    transaction = connection.begin()
    db.session.remove()
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        with app.app_context():
            yield db.session
    finally:
        db.session.remove()
        db.session_factory.configure(bind=None, join_transaction_mode="conditional_savepoint")
        transaction.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: Session) -> CsrfClient:
    """A test client whose POSTs carry the CSRF token (CSRF stays on)."""
    return CsrfClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def runner(app: Flask, db_session: Session) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def world(db_session: Session) -> World:
    """The site's small world: two OG of Bretagne, one of Normandie
    (:mod:`tests.support.bretagne`)."""
    return build_world(db_session)


@pytest.fixture
def user_defaults(world: World) -> UserDefaults:
    """Accounts of the small world: OG accounts belong to OG A, regional ones to Bretagne."""
    return UserDefaults(organisation=world.og_a.finess_ej, region="53")


@pytest.fixture
def make_user(db_session: Session, user_defaults: UserDefaults) -> MakeUser:
    """Create a confirmed, approved account, committed: ``make_user(role, *, email=...,
    organisation=..., region=...)``; what is not said comes from ``user_defaults``."""

    def make(
        role: Role | str,
        *,
        email: str | None = None,
        organisation: str | None = None,
        region: str | None = None,
    ) -> User:
        user = new_user(
            db_session,
            role,
            email=email,
            finess_ej=organisation or user_defaults.organisation,
            region=region or user_defaults.region,
        )
        db_session.commit()
        return user

    return make


@pytest.fixture
def auth(client: CsrfClient, make_user: MakeUser) -> Auth:
    """Log the client in: ``auth.login(Role.OG)`` (a new account), ``auth.login(user,
    form=True)`` (through the real form), ``auth.logout()``."""
    return Auth(client, make_user)


@pytest.fixture
def shared_figures_folder(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The web workers' shared figures folder (figures are per process only in other tests)."""
    folder = tmp_path / "figures"
    monkeypatch.setitem(app.config, "FIGURES_CACHE_FOLDER", str(folder))
    return folder
