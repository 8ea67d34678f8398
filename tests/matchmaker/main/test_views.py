"""The home page explains the programme, searches, calls each audience to action and shows
figures a director cares about; each role lands where its work is after logging in."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy.orm import Session

from matchmaker.models import Grappe, GrappeMember, Role, SolverRun
from matchmaker.models.base import utcnow
from tests.factories import MakeUser
from tests.helpers import PASSWORD, Auth, CsrfClient
from tests.support.bretagne import World


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", page)))


def publish_grappe(session: Session, world: World) -> None:
    """A published run with one grappe holding OG A's three ESSMS."""
    run = SolverRun(campaign_id=world.campaign.id, status="succeeded", published_at=utcnow())
    session.add(run)
    session.flush()
    grappe = Grappe(run_id=run.id, number=1, editor_name="Alpha Santé", status="constituee")
    grappe.members = [
        GrappeMember(finess_et=e.finess_et, finess_ej=e.finess_ej, distance_km=1.0)
        for e in world.essms_a
    ]
    session.add(grappe)
    session.commit()


def test_the_home_page_speaks_to_each_audience(
    client: CsrfClient, db_session: Session, world: World
) -> None:
    publish_grappe(db_session, world)
    page = client.get("/").get_data(as_text=True)
    text = text_of(page)
    assert "On ne candidate pas seul" in text
    assert 'role="search"' in page and 'action="/etablissements"' in page
    for audience in ("Je représente un organisme", "Je coordonne une campagne", "Je suis à l'ARS"):
        assert audience in text
    shown = html.unescape(page)
    assert re.search(r'id="chiffre-en-grappe">3 <small>\(50,0\u00a0% des ESSMS\)', shown)
    assert re.search(r'id="chiffre-campagnes">1<', page)
    assert "Derniers imports FINESS" not in text


def test_the_home_page_figures_follow_the_region(
    client: CsrfClient, db_session: Session, world: World
) -> None:
    publish_grappe(db_session, world)
    normandie = client.get("/?region=28").get_data(as_text=True)
    assert "en Normandie" in text_of(normandie)
    assert re.search(r'id="chiffre-en-grappe">0', normandie)
    assert re.search(r'id="chiffre-campagnes">0<', normandie)


def test_the_imports_log_is_for_administrators(client: CsrfClient, auth: Auth) -> None:
    assert client.get("/imports").status_code == 302
    auth.login(Role.COLLECTIF)
    assert client.get("/imports").status_code == 403
    auth.logout()
    auth.login(Role.ADMIN)
    assert "Imports FINESS" in client.get("/imports").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.COLLECTIF, "/console/"),
        (Role.ARS, "/ars/"),
        (Role.OG, "/mon-organisme"),
    ],
)
def test_each_role_lands_where_its_work_is(
    client: CsrfClient, make_user: MakeUser, role: Role, landing: str
) -> None:
    user = make_user(role)
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == landing
