"""Issue 11, hole 2: a campaign's departments lie in the collectif's region(s) as its
account says (an administrator may grant more), and « at most one open campaign per
department »."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import services
from matchmaker.models import Campaign, CampaignOwner, Role
from tests.factories import make_campaign, make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def campaign_form(name: str, region: str = "", departments: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "region": region,
        "departments": departments,
        "min_size": "15",
        "min_size_overseas": "8",
        "max_size": "49",
        "time_limit_s": "30",
    }


def test_a_collectif_cannot_create_a_campaign_outside_its_region(
    client: CsrfClient, db_session: Session
) -> None:
    login(client, make_user(db_session, Role.COLLECTIF, region="52"))
    response = client.post(
        "/console/campagnes/nouvelle",
        data=campaign_form("Côtes-d'Armor 2026", departments="22"),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "hors de la région de votre compte" in page and "22" in page
    assert db_session.scalar(select(Campaign).where(Campaign.name == "Côtes-d'Armor 2026")) is None
    response = client.post(
        "/console/campagnes/nouvelle", data=campaign_form("Bretagne entière", region="53")
    )
    assert response.status_code == 200
    assert db_session.scalar(select(Campaign).where(Campaign.name == "Bretagne entière")) is None


def test_a_granted_region_and_an_administrator_may(client: CsrfClient, db_session: Session) -> None:
    collectif = make_user(db_session, Role.COLLECTIF, region="52")
    collectif.granted_regions = ["53"]
    db_session.commit()
    login(client, collectif)
    response = client.post(
        "/console/campagnes/nouvelle", data=campaign_form("Loire et Armor", departments="22,44")
    )
    assert response.status_code == 302
    admin = make_user(db_session, Role.ADMIN)
    data = services.CampaignData(
        name="Nationale",
        region=None,
        departments=["22", "13"],
        opens_on=None,
        closes_on=None,
        description=None,
        solver_params={},
    )
    assert services.create_campaign(db_session, admin, data).departments == ["13", "22"]


def test_a_foreign_owner_neither_reads_nor_runs_the_campaign(
    client: CsrfClient, db_session: Session
) -> None:
    """A campaign over department 22 owned (by an administrator's hand) by a collectif of
    region 52: that collectif may not read nor run it."""
    campaign = make_campaign(db_session, "Armor", departments=["22"], status="draft")
    foreign = make_user(db_session, Role.COLLECTIF, region="52")
    db_session.add(CampaignOwner(campaign_id=campaign.id, user_id=foreign.id))
    db_session.commit()
    login(client, foreign)
    assert client.get(f"/console/campagnes/{campaign.id}").status_code == 403
    response = client.post(f"/console/campagnes/{campaign.id}/etat", data={"action": "open"})
    assert response.status_code == 403
    assert campaign.status == "draft"


def test_only_one_open_campaign_per_department(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    """The desk's open campaign covers department 35; another one over Bretagne cannot
    open, with a message naming the campaign and the department."""
    second = make_campaign(db_session, "Bretagne bis", region="53", status="draft")
    db_session.add(CampaignOwner(campaign_id=second.id, user_id=desk.owner.id))
    db_session.commit()
    login(client, desk.owner)
    response = client.post(
        f"/console/campagnes/{second.id}/etat", data={"action": "open"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Une seule campagne ouverte par département" in page
    assert "« Bretagne 2026 » couvre déjà le(s) département(s) 35" in page
    assert second.status == "draft"
    assert services.open_campaign_for_department(db_session, "35") is desk.campaign
    assert services.open_campaign_for_department(db_session, "22") is None

    # Editing the open campaign to reach an open campaign's department is refused too.
    other = make_campaign(db_session, "Finistère", departments=["29"], status="open")
    db_session.add(CampaignOwner(campaign_id=other.id, user_id=desk.owner.id))
    db_session.commit()
    response = client.post(
        f"/console/campagnes/{other.id}/modifier",
        data=campaign_form("Finistère", departments="29,35"),
        follow_redirects=True,
    )
    assert "couvre déjà le(s) département(s) 35" in response.get_data(as_text=True)
    db_session.refresh(other)
    assert other.departments == ["29"]

    # Once the other campaigns' declarations are closed, the second one opens.
    for closing in (desk.campaign, other):
        client.post(f"/console/campagnes/{closing.id}/etat", data={"action": "close_declarations"})
    client.post(f"/console/campagnes/{second.id}/etat", data={"action": "open"})
    db_session.refresh(second)
    assert second.status == "open"
