"""``grappes campaigns owner add``: an operator gives a campaign created from the command line
(no owner: no collectif could manage it) its collectif owner, audited (issue 17)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import services
from matchmaker.models import AuditEvent, Campaign, Role
from tests.factories import make_campaign, make_user
from tests.helpers import CsrfClient, login


@pytest.fixture
def cli_campaign(db_session: Session) -> Campaign:
    """What ``grappes import-declarations`` creates: an open campaign without owner."""
    return make_campaign(db_session, "Bretagne ligne de commande", region="53", departments=["35"])


def test_an_operator_makes_a_collectif_owner(
    runner: FlaskCliRunner, db_session: Session, client: CsrfClient, cli_campaign: Campaign
) -> None:
    collectif = make_user(db_session, Role.COLLECTIF, email="animation@collectif-bzh.fr")
    db_session.flush()
    login(client, collectif)
    edit_url = f"/console/campagnes/{cli_campaign.id}/modifier"
    assert client.get(edit_url).status_code == 403  # nobody owns it yet

    result = runner.invoke(
        args=["campaigns", "owner", "add", str(cli_campaign.id), "Animation@Collectif-BZH.fr"]
    )
    assert result.exit_code == 0, result.output
    assert "animation@collectif-bzh.fr porte désormais la campagne" in result.output
    assert services.is_owner(db_session, collectif, cli_campaign)
    assert client.get(edit_url).status_code == 200  # the collectif manages it now
    [event] = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.owner_added")
    )
    assert event.actor.startswith("cli:") and event.campaign_id == cli_campaign.id
    assert event.details["owner"] == "animation@collectif-bzh.fr"

    # Again, by the campaign's name: nothing changes, nothing more is audited.
    again = runner.invoke(args=["campaigns", "owner", "add", cli_campaign.name, collectif.email])
    assert again.exit_code == 0 and "portait déjà" in again.output
    listed = runner.invoke(args=["campaigns", "owner", "list", cli_campaign.name])
    assert listed.output.strip() == collectif.email
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.owner_added")
    ).all()
    assert len(events) == 1


@pytest.mark.parametrize(
    ("role", "region", "refusal"),
    [
        (Role.OG, None, "n'est pas un compte collectif SI MS"),
        (Role.ARS, "53", "n'est pas un compte collectif SI MS"),
        (Role.COLLECTIF, "11", "travaille sur une autre région"),
    ],
)
def test_only_a_collectif_of_the_region_can_own_it(
    runner: FlaskCliRunner,
    db_session: Session,
    cli_campaign: Campaign,
    role: Role,
    region: str | None,
    refusal: str,
) -> None:
    user = make_user(db_session, role, region=region)
    db_session.flush()
    result = runner.invoke(args=["campaigns", "owner", "add", str(cli_campaign.id), user.email])
    assert result.exit_code == 1
    assert refusal in result.output
    assert not services.is_owner(db_session, user, cli_campaign)


def test_an_unknown_campaign_or_account_is_named(
    runner: FlaskCliRunner, db_session: Session, cli_campaign: Campaign
) -> None:
    unknown = runner.invoke(args=["campaigns", "owner", "add", "Campagne fantôme", "a@b.fr"])
    assert unknown.exit_code == 1 and "Campagne inconnue : « Campagne fantôme »" in unknown.output
    nobody = runner.invoke(
        args=["campaigns", "owner", "add", str(cli_campaign.id), "personne@exemple.fr"]
    )
    assert nobody.exit_code == 1 and "« personne@exemple.fr » n'est pas un compte" in nobody.output
