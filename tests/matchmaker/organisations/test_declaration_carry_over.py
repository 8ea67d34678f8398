"""Declarations are about an ESSMS, not a campaign (issue 12, point 2).

A second campaign covering an OG's departments starts from the latest known declarations,
shown « déclaré le … (campagne …) — à confirmer »; the OG confirms or corrects them; the
page says which campaign it uses and why, and explains two open campaigns (legacy data)
instead of showing blank data.
"""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Declaration, Role
from matchmaker.models.campaigns import Campaign
from tests.factories import make_campaign
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, add_editor, declaration_form


def declarations_in(session: Session, campaign: Campaign, finess_et: str) -> list[Declaration]:
    return list(
        session.scalars(
            select(Declaration).where(
                Declaration.campaign_id == campaign.id,
                Declaration.finess_et == finess_et,
                Declaration.is_current.is_(True),
            )
        )
    )


def second_campaign(session: Session, *, close_first: Campaign | None, **scope: object) -> Campaign:
    if close_first is not None:
        close_first.status = "closed"
    campaign = make_campaign(
        session, "Bretagne 2027", status="open", closes_on=date(2099, 12, 31), **scope
    )
    session.commit()
    return campaign


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_new_campaign_starts_from_the_latest_declarations(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI")
    auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    client.post(f"/essms/{finess}/declaration", data=declaration_form(sons_status="commande"))
    declared_on = date.today().strftime("%d/%m/%Y")
    new = second_campaign(db_session, close_first=world.campaign, region="53")

    page = text(client.get(f"/organismes/{world.og_a.finess_ej}").get_data(as_text=True))
    assert "Non déclaré Non déclaré Non déclaré" not in page
    assert "Acme Santé — référencé Ségur" in page and "SONS : commandé" in page
    assert f"déclaré le {declared_on} (campagne Bretagne 2026) — à confirmer" in page
    assert "1 déclaration reprise, à confirmer" in page
    assert (
        "Campagne « Bretagne 2027 » : c'est la campagne ouverte qui couvre le département "
        "Ille-et-Vilaine (35)." in page
    )
    # correcting starts from the carried declaration
    form = client.get(f"/essms/{finess}/declaration").get_data(as_text=True)
    assert 'value="Acme Santé"' in form
    assert f"Reprise de votre déclaration du {declared_on}" in text(form)

    response = client.post(f"/organismes/{world.og_a.finess_ej}/confirmer", data={"essms": finess})
    assert response.status_code == 303
    confirmed = declarations_in(db_session, new, finess)
    assert len(confirmed) == 1
    assert (confirmed[0].editor_raw, confirmed[0].dui_status, confirmed[0].sons_status) == (
        "Acme Santé", "reference_segur", "commande",
    )  # fmt: skip
    page = text(client.get(f"/organismes/{world.og_a.finess_ej}").get_data(as_text=True))
    assert "à confirmer" not in page and "1 déclaré ·" in page
    assert len(declarations_in(db_session, world.campaign, finess)) == 1  # history kept


def test_two_open_campaigns_are_explained_never_blank(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    """Legacy data: two open campaigns cover 35. The page says so, uses the more specific
    one and still shows what the OG declared."""
    auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    client.post(f"/essms/{finess}/declaration", data=declaration_form())
    second_campaign(db_session, close_first=None, departments=["35"])
    page = text(client.get(f"/organismes/{world.og_a.finess_ej}").get_data(as_text=True))
    assert (
        "2 campagnes ouvertes couvrent le département Ille-et-Vilaine (35) : « Bretagne 2027 », "
        "« Bretagne 2026 ». Il ne devrait y en avoir qu'une ; en attendant, cette page utilise "
        "« Bretagne 2027 »" in page
    )
    assert "Acme Santé" in page and "(campagne Bretagne 2026) — à confirmer" in page


def test_interest_in_a_new_campaign_keeps_the_carried_declaration(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    """« Signaler mon intérêt » in the new campaign starts from the latest declaration,
    never from a blank one."""
    auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    client.post(f"/essms/{finess}/declaration", data=declaration_form(interested=None))
    new = second_campaign(db_session, close_first=world.campaign, region="53")
    client.post(f"/organismes/{world.og_a.finess_ej}/interet", data={"essms": finess})
    [declaration] = declarations_in(db_session, new, finess)
    assert declaration.interested is True
    assert (declaration.editor_raw, declaration.dui_status) == ("Acme Santé", "reference_segur")
