"""Proposed grappes: what an OG sees of a published run, its answer, who may do what."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.funding.estimate import quick_estimate
from matchmaker.funding.scales import ProjectType, load_scale
from matchmaker.models import AuditEvent, Grappe, GrappeAnswer, Role
from matchmaker.organisations import proposals
from tests.factories import MakeUser
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, publish_grappe


@pytest.fixture
def grappe(db_session: Session, world: World) -> Grappe:
    return publish_grappe(db_session, world)


def test_og_sees_its_proposal(client: CsrfClient, auth: Auth, grappe: Grappe) -> None:
    auth.login(Role.OG)
    listing = client.get("/mes-grappes").get_data(as_text=True)
    assert f"/mes-grappes/{grappe.id}" in listing and "en attente" in listing
    page = client.get(f"/mes-grappes/{grappe.id}").get_data(as_text=True)
    assert f'data-map-source="/mes-grappes/{grappe.id}/carte.geojson"' in page
    data = client.get(f"/mes-grappes/{grappe.id}/carte.geojson").get_json()
    kinds = [feature["properties"]["kind"] for feature in data["features"]]
    assert kinds.count("member") == 2
    assert kinds.count("carrier") == 3  # OG A's three ESSMS carry the project
    for finess in ("350000101", "350000102", "350000103", "350000201", "350000202"):
        assert finess in page
    assert "Votre part (maximum)" in page and "Recevabilité" in page
    assert "ASSOCIATION BETA" in page and "En attente" in page
    assert 'name="answer"' in page


def test_funding_matches_the_estimator(
    db_session: Session, world: World, grappe: Grappe, make_user: MakeUser
) -> None:
    user = make_user(Role.OG)
    detail = proposals.proposal_detail(db_session, user, grappe.id, scale=load_scale())
    assert detail.estimate is not None
    # Nobody declared a DUI: five acquisitions; editor referencing unknown → not referenced.
    scale = load_scale()
    usage = quick_estimate(ProjectType.ACQUISITION, 5, editor_referenced=False, scale=scale)
    assert detail.estimate.usage_eur == usage.usage_eur
    assert detail.own_share is not None and detail.own_share.essms_in_grappe == 3
    assert detail.checklist.point("min_size").status.value == "not_met"


def test_accept_then_change_mind(
    client: CsrfClient,
    auth: Auth,
    db_session: Session,
    world: World,
    grappe: Grappe,
    make_user: MakeUser,
) -> None:
    auth.login(Role.OG)
    response = client.post(
        f"/mes-grappes/{grappe.id}", data={"answer": "accepte", "comment": "Avec plaisir"}
    )
    assert response.status_code == 303
    stored = db_session.scalar(select(GrappeAnswer).where(GrappeAnswer.grappe_id == grappe.id))
    assert stored is not None and stored.answer == "accepte" and stored.comment == "Avec plaisir"
    client.post(f"/mes-grappes/{grappe.id}", data={"answer": "refuse", "comment": ""})
    db_session.refresh(stored)
    assert stored.answer == "refuse" and stored.comment is None
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "grappe.answer"))
    assert [e.details["answer"] for e in events] == ["accepte", "refuse"]

    # The other member OG sees the answer.
    auth.logout()
    auth.login(make_user(Role.OG, organisation=world.og_b.finess_ej))
    page = client.get(f"/mes-grappes/{grappe.id}").get_data(as_text=True)
    assert "Refusée" in page


def test_answers_are_frozen_once_the_campaign_closes(
    client: CsrfClient, auth: Auth, db_session: Session, world: World, grappe: Grappe
) -> None:
    world.campaign.closes_on = date(2000, 1, 1)
    db_session.commit()
    auth.login(Role.OG)
    page = client.get(f"/mes-grappes/{grappe.id}").get_data(as_text=True)
    assert "La campagne est close" in page
    response = client.post(f"/mes-grappes/{grappe.id}", data={"answer": "accepte"})
    assert "La campagne est close" in response.get_data(as_text=True)
    assert db_session.scalar(select(GrappeAnswer)) is None


def test_outsiders_cannot_see_or_answer(
    client: CsrfClient,
    auth: Auth,
    db_session: Session,
    world: World,
    grappe: Grappe,
    make_user: MakeUser,
) -> None:
    auth.login(Role.OG, organisation=world.og_far.finess_ej)
    assert client.get(f"/mes-grappes/{grappe.id}").status_code == 403
    assert client.post(f"/mes-grappes/{grappe.id}", data={"answer": "accepte"}).status_code == 403
    assert "Aucune grappe" in client.get("/mes-grappes").get_data(as_text=True)
    auth.logout()
    # A member OG cannot answer in another member's name.
    auth.login(Role.OG)
    response = client.post(
        f"/mes-grappes/{grappe.id}",
        data={"answer": "refuse", "finess_ej": world.og_b.finess_ej},
    )
    assert response.status_code == 403
    assert db_session.scalar(select(GrappeAnswer)) is None


def test_unpublished_runs_are_invisible(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    hidden = publish_grappe(db_session, world, published=False)
    auth.login(Role.OG)
    assert client.get(f"/mes-grappes/{hidden.id}").status_code == 404
    assert f"/mes-grappes/{hidden.id}" not in client.get("/mes-grappes").get_data(as_text=True)


@pytest.mark.parametrize(("region", "status"), [("53", 200), ("28", 403)])
def test_regional_users_read_only(
    client: CsrfClient, auth: Auth, grappe: Grappe, region: str, status: int
) -> None:
    auth.login(Role.COLLECTIF, region=region)
    assert client.get(f"/mes-grappes/{grappe.id}").status_code == status
    assert client.post(f"/mes-grappes/{grappe.id}", data={"answer": "accepte"}).status_code == 403
