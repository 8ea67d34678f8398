"""The run page says when the campaign's declarations changed since the run (issue 17)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matchmaker.grappes import freshness
from tests.factories import make_declaration, make_establishment, make_organisation
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk

WARNING = "Les déclarations ont changé depuis ce calcul"


def test_the_run_page_asks_for_a_new_run_once_declarations_changed(
    client: CsrfClient, desk: Desk, db_session: Session
) -> None:
    desk.run.stats = {
        **desk.run.stats,
        freshness.STATS_KEY: freshness.declarations_state(db_session, desk.campaign.id),
    }
    db_session.commit()
    login(client, desk.owner)
    url = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    assert WARNING not in client.get(url).get_data(as_text=True)

    essms = make_establishment(
        db_session, make_organisation(db_session, name="OG TARDIVE"), department="35"
    )
    make_declaration(db_session, desk.campaign, essms)
    db_session.commit()
    page = client.get(url).get_data(as_text=True)
    assert (
        "Les déclarations ont changé depuis ce calcul (1 modification) : relancez-le pour en "
        "tenir compte." in page
    )


def test_a_run_without_a_recorded_state_says_nothing(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    page = client.get(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}")
    assert WARNING not in page.get_data(as_text=True)
