"""The desk's dashboard figures are computed once per version of what they are computed
from (issue 14, like the home page's), not per request: the page and its workbook share
one computation, and a new embarkation or contact action shows at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import Embarkation, Role
from tests.helpers import Auth, CsrfClient
from tests.support.occitanie import World


@contextmanager
def tallies(app: Flask) -> Iterator[list[str]]:
    """The dashboard's aggregate queries sent (eligible ESSMS by department, champ, legal
    sector and OG size)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if "GROUP BY" in statement and "legal_sector" in statement:
            seen.append(statement)

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def figure(page: str, name: str) -> int:
    found = re.search(rf'id="chiffre-{name}">(\d+)<', page)
    assert found, page
    return int(found.group(1))


def never_contacted(page: str) -> int:
    found = re.search(r"Non embarqués jamais contactés</th><td>(\d+)<", page)
    assert found, page
    return int(found.group(1))


def test_the_page_and_its_workbook_share_one_computation(
    app: Flask, client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    with tallies(app) as seen:
        for _ in range(2):
            assert client.get("/ars/").status_code == 200
            assert client.get("/ars/tableau-de-bord.xlsx").status_code == 200
        assert client.get("/ars/?departement=09").status_code == 200
    assert len(seen) == 2  # the region, then the department


def test_a_new_embarkation_shows_at_once(
    app: Flask, client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    assert figure(client.get("/ars/").get_data(as_text=True), "embarques") == 4
    db_session.add(Embarkation(finess_et=world.n3.finess_et, scheme="sons"))
    db_session.flush()
    with tallies(app) as seen:
        page = client.get("/ars/").get_data(as_text=True)
    assert len(seen) == 1
    assert figure(page, "embarques") == 5


def test_a_contact_action_shows_at_once(client: CsrfClient, auth: Auth, world: World) -> None:
    auth.login(Role.ARS, form=True)
    before = never_contacted(client.get("/ars/").get_data(as_text=True))
    response = client.post(
        f"/ars/contacts/essms/{world.n3.finess_et}",
        data={"acted_on": "2026-12-01", "channel": "phone", "stage": "contacted"},
    )
    assert response.status_code == 302
    assert never_contacted(client.get("/ars/").get_data(as_text=True)) == before - 1
