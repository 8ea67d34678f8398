"""The non-embarked page, its map data and its exports share one scoring of the region
(issue 14: each recomputed it, 12-27 s nationally), kept by the process for as long as
what it is computed from does not change: a contact action or a newly published run shows
at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import Grappe, GrappeMember, Role, SolverRun
from tests.factories import make_campaign
from tests.helpers import Auth, CsrfClient, another_worker
from tests.support.occitanie import World


@contextmanager
def scorings(app: Flask) -> Iterator[list[str]]:
    """The scoring queries sent (the region's non-embarked with their contact stage)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "LEFT OUTER JOIN contact_actions" in statement and "FROM establishments" in statement:
            seen.append(statement)

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _row_of(page: str, finess: str) -> str:
    start = page.index(finess)
    return page[start : page.index("</tr>", start)]


def test_the_page_its_map_and_exports_share_one_scoring(
    app: Flask, client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    with scorings(app) as seen:
        assert client.get("/ars/non-embarques").status_code == 200
        assert client.get("/ars/non-embarques.geojson").status_code == 200
        assert client.get("/ars/non-embarques.csv").status_code == 200
        assert client.get("/ars/non-embarques?departement=09").status_code == 200
    assert len(seen) == 1


def test_a_contact_action_shows_at_once(
    app: Flask, client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    finess = world.n3.finess_et
    assert "Jamais contacté" in _row_of(
        client.get("/ars/non-embarques").get_data(as_text=True), finess
    )
    response = client.post(
        f"/ars/contacts/essms/{finess}",
        data={"acted_on": "2026-12-01", "channel": "phone", "stage": "interested"},
    )
    assert response.status_code == 302
    with scorings(app) as seen:
        page = client.get("/ars/non-embarques").get_data(as_text=True)
    assert len(seen) == 1
    assert "Intéressé" in _row_of(page, finess)


def test_a_published_run_shows_at_once(
    db_session: Session, client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    member = world.n3
    campaign = make_campaign(db_session, "Occitanie 2026", region="76")
    run = SolverRun(campaign_id=campaign.id, status="succeeded")
    db_session.add(run)
    db_session.flush()
    grappe = Grappe(run_id=run.id, number=1, editor_name="Acme")
    db_session.add(grappe)
    db_session.flush()
    db_session.add(
        GrappeMember(grappe_id=grappe.id, finess_et=member.finess_et, finess_ej=member.finess_ej)
    )
    db_session.commit()
    page = client.get("/ars/non-embarques").get_data(as_text=True)
    assert "en grappe (publiée)" not in _row_of(page, member.finess_et)
    campaign.published_run_id = run.id
    db_session.commit()
    page = client.get("/ars/non-embarques").get_data(as_text=True)
    assert "en grappe (publiée)" in _row_of(page, member.finess_et)


def test_the_csv_is_streamed_with_every_cell_neutralised(
    db_session: Session, client: CsrfClient, auth: Auth, world: World
) -> None:
    world.n3.short_name = '=HYPERLINK("http://x")'
    db_session.commit()
    auth.login(Role.ARS, form=True)
    response = client.get("/ars/non-embarques.csv")
    assert response.status_code == 200 and response.is_streamed
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff") and "'=HYPERLINK" in text


def test_the_web_workers_share_one_scoring(
    app: Flask, client: CsrfClient, auth: Auth, world: World, shared_figures_folder: Path
) -> None:
    auth.login(Role.ARS, form=True)
    with scorings(app) as seen:
        first = client.get("/ars/non-embarques").get_data(as_text=True)
        another_worker(app)
        second = client.get("/ars/non-embarques").get_data(as_text=True)
    assert len(seen) == 1  # the second worker read the first one's scoring
    assert world.n3.finess_et in first and world.n3.finess_et in second
    assert len(list(shared_figures_folder.glob("*.figures"))) == 1


def test_a_contact_action_shows_at_once_in_every_worker(
    app: Flask, client: CsrfClient, auth: Auth, world: World, shared_figures_folder: Path
) -> None:
    auth.login(Role.ARS, form=True)
    finess = world.n3.finess_et
    assert "Jamais contacté" in _row_of(
        client.get("/ars/non-embarques").get_data(as_text=True), finess
    )
    another_worker(app)
    response = client.post(
        f"/ars/contacts/essms/{finess}",
        data={"acted_on": "2026-12-01", "channel": "phone", "stage": "interested"},
    )
    assert response.status_code == 302
    another_worker(app)  # the shared file holds the scoring before the action
    with scorings(app) as seen:
        page = client.get("/ars/non-embarques").get_data(as_text=True)
    assert len(seen) == 1
    assert "Intéressé" in _row_of(page, finess)
