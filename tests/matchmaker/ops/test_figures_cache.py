"""The establishment figures (the administrators' imports page: totals and counts by
department over the whole table) are computed once per FINESS import, not per request
(issue 14, « Queries that scale »): a request between two imports reuses them; a new import
refreshes them; without any import they are computed live."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.models import FinessImport, Role
from matchmaker.models.base import utcnow
from tests.factories import make_establishment, make_organisation, make_user
from tests.helpers import CsrfClient, login


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
