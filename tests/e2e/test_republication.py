"""End to end, in headless Chromium: a collectif publishes a run, an OG accepts its grappe,
the collectif re-solves and publishes again: the OG's answer is still there, and the old
link leads to the grappe that now holds its ESSMS (issue 12, point 1). The solver runs as
background jobs of the served app."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.editor_names import normalise_name
from matchmaker.auth import services as auth_services
from matchmaker.models import (
    Campaign,
    CampaignOwner,
    Declaration,
    Editor,
    Establishment,
    Grappe,
    Organisation,
    Role,
    SolverRun,
)
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "un-mot-de-passe-solide"
COLLECTIF = "animation@collectif-bretagne.fr"
DIRECTOR = "direction@association-0.fr"
RENNES = (48.11, -1.68)
#: Long enough for a background job on a loaded machine, in milliseconds.
JOB_WAIT_MS = 120_000


def seed(session: Session) -> int:
    """17 ESSMS of Acme around Rennes (one OG each), all declared and interested, in an
    open campaign of Ille-et-Vilaine run by a collectif user; the director of the first OG.
    Returns the campaign's id."""
    editor = Editor(name="Acme Santé", key=normalise_name("Acme Santé"))
    campaign = Campaign(
        name="Bretagne 2026",
        region="53",
        departments=["35"],
        status="open",
        closes_on=date(2099, 12, 31),
        solver_params={"time_limit_s": 10.0, "num_workers": 1},
    )
    session.add_all([editor, campaign])
    session.flush()
    for index in range(17):
        finess_ej, finess_et = f"35010{index:04d}", f"35020{index:04d}"
        session.add(
            Organisation(
                finess_ej=finess_ej,
                name=f"ASSOCIATION {index}",
                siret="73282932000074",
                essms_count=1,
            )
        )
        angle = 2 * math.pi * index / 17
        session.add(
            Establishment(
                finess_et=finess_et,
                finess_ej=finess_ej,
                short_name=f"EHPAD {index}",
                long_name=f"EHPAD {index}",
                department="35",
                region="53",
                latitude=RENNES[0] + 0.05 * math.sin(angle),
                longitude=RENNES[1] + 0.05 * math.cos(angle),
                champ="PA",
                is_essms=True,
                is_open=True,
            )
        )
        session.flush()
        session.add(
            Declaration(
                campaign_id=campaign.id,
                finess_et=finess_et,
                department="35",
                editor_raw="Acme Santé",
                editor_id=editor.id,
                dui_status="reference_segur",
                interested=True,
            )
        )
    collectif = auth_services.create_user(
        session, email=COLLECTIF, password=PASSWORD, role=Role.COLLECTIF, region="53"
    )
    session.add(CampaignOwner(campaign_id=campaign.id, user_id=collectif.id))
    auth_services.create_user(
        session, email=DIRECTOR, password=PASSWORD, role=Role.OG, finess_ej="350100000"
    )
    session.commit()
    return campaign.id


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def wait_and_publish(console: Page) -> None:
    expect(console.get_by_role("heading", name="Grappes proposées")).to_be_visible(
        timeout=JOB_WAIT_MS
    )
    console.get_by_role("button", name="Publier aux organismes").click()
    expect(console.get_by_text("Calcul publié")).to_be_visible()


def test_an_accepted_answer_survives_a_re_solve_and_a_new_publication(
    browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        campaign_id = seed(session)
    base = live_server.url
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    console = desk.new_page()
    log_in(console, base, COLLECTIF)
    console.goto(f"{base}/console/campagnes/{campaign_id}")
    console.get_by_role("button", name="Lancer le calcul").click()
    wait_and_publish(console)

    # The director accepts grappe n° 1.
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = office.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, DIRECTOR)
    page.get_by_role("link", name="Mes grappes", exact=True).click()
    page.get_by_role("link", name=re.compile("Grappe n° 1")).click()
    first_url = page.url
    page.get_by_label("J'accepte de rejoindre cette grappe").check()
    page.get_by_label("Commentaire (facultatif)").fill("Nous en sommes.")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.get_by_text("Votre réponse est enregistrée.")).to_be_visible()

    # The collectif re-solves with its decisions and publishes the new run.
    console.get_by_role("button", name="Relancer le calcul avec les décisions").click()
    expect(console.get_by_role("heading", name=re.compile(r"Calcul n° \d+"))).to_be_visible()
    wait_and_publish(console)
    with Session(live_server.engine) as session:
        first, second = session.scalars(select(SolverRun).order_by(SolverRun.id)).all()
        assert second.published_at is not None and first.published_at is None
        [new_grappe] = session.scalars(select(Grappe).where(Grappe.run_id == second.id)).all()
        assert new_grappe.number == 1
    desk.close()

    # The answer is still there, on the list and on the grappe; the old link leads to it.
    page.get_by_role("link", name="Mes grappes", exact=True).click()
    expect(page.get_by_text("Votre réponse : acceptée")).to_be_visible()
    expect(page.get_by_text("reprise du calcul précédent")).to_be_visible()
    page.goto(first_url)
    expect(page.get_by_text("a été remplacée par un nouveau calcul")).to_be_visible()
    assert page.url.endswith(f"/mes-grappes/{new_grappe.id}")
    expect(page.get_by_label("J'accepte de rejoindre cette grappe")).to_be_checked()
    expect(page.get_by_label("Commentaire (facultatif)")).to_have_value("Nous en sommes.")
    page.screenshot(path=artifacts / "republication-reponse-conservee.png", full_page=True)
    assert errors == []
    office.close()
