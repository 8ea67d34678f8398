"""The establishment figures (the administrators' imports page: totals and counts by
department over the whole table) are computed once per FINESS import, not per request
(issue 14, « Queries that scale »): a request between two imports reuses them; a new import
refreshes them; without any import they are computed live."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.models import FinessImport, Role
from matchmaker.models.base import utcnow
from matchmaker.ops import figures_cache
from tests.factories import make_establishment, make_organisation, make_user
from tests.helpers import CsrfClient, another_worker, login


@pytest.fixture
def admin(client: CsrfClient, db_session: Session) -> CsrfClient:
    """The client logged in as an administrator (the imports page is theirs)."""
    user = make_user(db_session, Role.ADMIN, email="admin@grappes.test")
    db_session.commit()
    login(client, user)
    return client


def open_establishments(client: CsrfClient) -> int:
    page = client.get("/imports").get_data(as_text=True)
    found = re.search(r"Établissements ouverts</dt><dd>([\d\s ]+)</dd>", page)
    assert found, page
    return int(re.sub(r"\D", "", found.group(1)))


def an_import(session: Session) -> FinessImport:
    row = FinessImport(
        file_name=f"extrait-{uuid.uuid4().hex[:6]}.csv",
        file_sha256=uuid.uuid4().hex * 2,
        file_format="legacy_csv",
        finished_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def counted(db_session: Session) -> Iterator[list[str]]:
    """The statements counting establishments, once ``counting`` is set."""
    seen: list[str] = []
    connection = db_session.connection()

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM establishments" in statement and "count(" in statement.lower():
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_figures_are_kept_between_imports(
    admin: CsrfClient, db_session: Session, counted: list[str]
) -> None:
    client = admin
    organisation = make_organisation(db_session)
    make_establishment(db_session, organisation)
    an_import(db_session)
    assert open_establishments(client) == 1
    counted.clear()
    make_establishment(db_session, organisation)  # not through an import: not seen yet
    assert open_establishments(client) == 1
    assert counted == []  # the second request counted nothing
    an_import(db_session)
    assert open_establishments(client) == 2
    assert counted  # the new import's version was computed


def test_without_imports_figures_are_live(admin: CsrfClient, db_session: Session) -> None:
    client = admin
    organisation = make_organisation(db_session)
    make_establishment(db_session, organisation)
    assert open_establishments(client) == 1
    make_establishment(db_session, organisation)
    assert open_establishments(client) == 2


class Computations:
    """A figure's computation that counts its calls."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_a_figure_computed_by_one_process_is_read_by_the_others(
    app: Flask, shared_figures_folder: Path
) -> None:
    another_worker(app)
    compute = Computations({"31": 12, "09": 3})
    assert figures_cache.cached(app, "home", (4, "2026-12-03"), compute) == {"31": 12, "09": 3}
    another_worker(app)
    assert figures_cache.cached(app, "home", (4, "2026-12-03"), compute) == {"31": 12, "09": 3}
    assert compute.calls == 1
    # A new version is computed again, and replaces the shared one.
    assert figures_cache.cached(app, "home", (5, "2026-12-04"), Computations("new")) == "new"
    another_worker(app)
    assert figures_cache.cached(app, "home", (5, "2026-12-04"), compute) == "new"
    assert compute.calls == 1
    assert len(list(shared_figures_folder.iterdir())) == 1


def test_a_shared_file_not_signed_with_the_secret_is_never_read(
    app: Flask, shared_figures_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    another_worker(app)
    figures_cache.cached(app, "home", (1,), Computations("ours"))
    [path] = shared_figures_folder.iterdir()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # the pickled value altered
    path.write_bytes(bytes(data))
    another_worker(app)
    assert figures_cache.cached(app, "home", (1,), Computations("again")) == "again"
    # Written with another secret (another site on the same folder): computed here.
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    another_worker(app)
    assert figures_cache.cached(app, "home", (1,), Computations("mine")) == "mine"


def test_off_keeps_the_figures_per_process(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "FIGURES_CACHE_FOLDER", figures_cache.OFF)
    another_worker(app)
    compute = Computations(7)
    figures_cache.cached(app, "home", (1,), compute)
    another_worker(app)
    figures_cache.cached(app, "home", (1,), compute)
    assert compute.calls == 2
