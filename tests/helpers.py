"""Helpers shared by the test modules: a test client that sends the CSRF token, logging in
(the one ``login`` and the ``auth`` helper the fixture of ``tests/conftest.py`` hands out),
the mails sent, a scratch database. Support code: test modules import it, never each other."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from matchmaker.extensions import make_engine
from matchmaker.models import Base, OutboxMail, Role, User

#: The project's root folder (wherever a test module sits under ``tests/``).
ROOT = Path(__file__).resolve().parent.parent
#: The password of every account the factories make.
PASSWORD = "motdepasse-solide-1"
#: Endpoints that are not HTML pages (files, JSON, tokens, static files): the walks of every
#: page (French text, accessibility) skip them.
NOT_PAGES = frozenset(
    {
        "static",
        "main.health",
        "main.readiness",
        "jobs.status",
        "auth.confirm",
        "auth.reset_password",
        "organisations.editors_api",
        "ars.targets_export",
        "ars.simulation_xlsx",
        "ars.dashboard_xlsx",
        "campaigns.export_run",
        "campaigns.export_grappe",
        "campaigns.upload_errors",
    }
)
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class CsrfClient(FlaskClient):
    """A test client whose POSTs carry a valid CSRF token unless ``csrf=False``."""

    def csrf_token(self) -> str:
        page = self.get("/connexion", follow_redirects=True).get_data(as_text=True)
        found = CSRF_INPUT.search(page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        """Each request starts with an empty ``g``, as in production. (The test's app
        context, pushed by ``db_session``, is shared by every request of the test, so
        Flask-Login's cached ``g._login_user`` would otherwise outlive a logout.)"""
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        if csrf:
            data = kwargs.setdefault("data", {})
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        return super().post(*args, **kwargs)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log ``client`` in as ``user`` through the real login form."""
    response = client.post("/connexion", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


class Auth:
    """Log the test client in as a user or a new user of a role: through the real login form
    (``form=True``), or by setting Flask-Login's session keys (fast; the form has its own
    tests). ``make_user`` is the ``make_user`` fixture (it knows the test's world)."""

    def __init__(self, client: CsrfClient, make_user: Any) -> None:
        self.client = client
        self.make_user = make_user

    def login(self, who: User | Role | str, *, form: bool = False, **kwargs: Any) -> User:
        user = who if isinstance(who, User) else self.make_user(who, **kwargs)
        if form:
            login(self.client, user)
        else:
            with self.client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
        return user

    def logout(self) -> None:
        self.client.post("/deconnexion")


def outbox(session: Session, to: str) -> list[OutboxMail]:
    """The mails sent to an address, oldest first."""
    return list(
        session.scalars(select(OutboxMail).where(OutboxMail.to == to).order_by(OutboxMail.id))
    )


CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/confirmer/[^\s]+)")


def confirmation_path(session: Session, to: str) -> str:
    """The path of the confirmation link in the last mail sent to ``to``."""
    found = CONFIRM_LINK.search(outbox(session, to)[-1].body)
    assert found, "no confirmation link in the mail"
    return found.group(1)


@contextmanager
def scratch_database(folder: Path, name: str, *, with_schema: bool = True) -> Iterator[str]:
    """A database of the suite's kind, private to the caller, dropped afterwards: a SQLite
    file in ``folder``, or a PostgreSQL schema when ``GRAPPES_TEST_DATABASE_URL`` is set
    (the URL then sets the schema as search path). ``with_schema`` creates every table."""
    base_url = os.environ.get("GRAPPES_TEST_DATABASE_URL")
    if not base_url:
        url = f"sqlite:///{folder / f'{name}.sqlite3'}"
        if with_schema:
            engine = make_engine(url)
            Base.metadata.create_all(engine)
            engine.dispose()
        yield url
        return
    schema = f"{name}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    if with_schema:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_probe(probe: str, *args: str, folder: Path) -> Any:
    """Run the Python source ``probe`` with ``args`` in a fresh interpreter, from the
    checkout, on a SQLite database of its own in ``folder`` and without Redis, as a new
    process of the app starts; the JSON value printed on its last line."""
    env = {
        **os.environ,
        "GRAPPES_SECRET_KEY": "probe-secret",
        "GRAPPES_DATABASE_URL": f"sqlite:///{folder / 'probe.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    completed = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def another_worker(app: Flask) -> None:
    """What another web worker (or a restarted one) knows of the figures: the shared folder,
    not this process's memory."""
    from matchmaker.ops import figures_cache

    app.extensions[figures_cache.EXTENSION_KEY] = {}
