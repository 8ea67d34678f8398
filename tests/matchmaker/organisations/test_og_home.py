"""The OG's home shows the next step: a proposal waiting for its answer links to it, the
declarations to make are counted, and its ESSMS are grouped by state."""

from __future__ import annotations

import html
import re

from sqlalchemy.orm import Session

from matchmaker.models import Role
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, publish_grappe


def home(client: CsrfClient) -> str:
    page = client.get("/mon-organisme", follow_redirects=True).get_data(as_text=True)
    return html.unescape(re.sub(r"\s+", " ", page))


def test_a_waiting_proposal_is_the_next_step(
    client: CsrfClient, db_session: Session, auth: Auth, world: World
) -> None:
    grappe = publish_grappe(db_session, world)
    auth.login(Role.OG)
    page = home(client)
    assert re.search(
        rf'<a href="/mes-grappes/{grappe.id}"><strong>Une proposition vous attend</strong> : '
        r"grappe n° 1 de la campagne « Bretagne 2026 »",
        page,
    )
    assert (
        "Proposé dans une grappe</strong> (3) : EHPAD LES TILLEULS, IME ALPHA, SSIAD ALPHA" in page
    )


def test_declarations_to_make_are_counted_and_linked(
    client: CsrfClient, db_session: Session, auth: Auth, world: World
) -> None:
    auth.login(Role.OG)
    page = home(client)
    assert "3 ESSMS à déclarer" in page
    assert re.search(r'en commençant par <a href="/essms/350000101/declaration">', page)
    assert "À déclarer</strong> (3)" in page
    assert "Une proposition vous attend" not in page


def test_an_answered_proposal_no_longer_waits(
    client: CsrfClient, db_session: Session, auth: Auth, world: World
) -> None:
    grappe = publish_grappe(db_session, world)
    auth.login(Role.OG)
    client.post(f"/mes-grappes/{grappe.id}", data={"answer": "accepte", "comment": ""})
    assert "Une proposition vous attend" not in home(client)
