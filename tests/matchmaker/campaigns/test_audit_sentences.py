"""The campaign's audit log reads as French sentences with the numbers the pages show."""

from __future__ import annotations

import html
import re

from sqlalchemy.orm import Session

from matchmaker.models import GrappeAnswer
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def journal(client: CsrfClient, desk: Desk) -> str:
    page = client.get(f"/console/campagnes/{desk.campaign.id}/journal").get_data(as_text=True)
    return html.unescape(re.sub(r"\s+", " ", page))


def test_the_log_says_what_happened_in_french(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}"
    client.post(f"{base}/calculs/{desk.run.id}/publier")
    for ej in {m.finess_ej for m in desk.beta.members}:
        db_session.add(GrappeAnswer(grappe_id=desk.beta.id, finess_ej=ej, answer="accepte"))
    db_session.flush()
    client.post(f"{base}/grappes/{desk.beta.id}/constituee")

    page = journal(client, desk)
    email = desk.owner.email
    assert f"Calcul n° {desk.run.id} publié par {email} : 2 grappe(s) proposée(s) aux OG." in page
    assert (
        f"La grappe n° {desk.beta.number} du calcul n° {desk.run.id} déclarée constituée "
        f"par {email}." in page
    )
    for code in ("run.published", "grappe.constituted", "grappes :", "[", "{"):
        assert code not in page.split("<main", 1)[1], code


def test_an_adjustment_names_the_grappe_by_its_number(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}"
    client.post(
        f"{base}/calculs/{desk.run.id}/ajuster",
        data={"action": "freeze", "grappe_id": desk.alpha.id},
    )
    page = journal(client, desk)
    assert re.search(
        rf"Ajustement du calcul n° {desk.run.id} par {re.escape(desk.owner.email)} — "
        rf"grappe figée : la grappe n° {desk.alpha.number} "
        rf"du calcul n° {desk.run.id}",
        page,
    ), page[page.find("Journal") :][:2000]
