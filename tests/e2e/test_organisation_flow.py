"""End to end, in headless Chromium: an OG director signs up, confirms the address from
the mail in the outbox, declares an ESSMS, expresses interest; a run is published; the
director sees the proposed grappe on the map (its markers are in the page) and accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import (
    Declaration,
    GrappeAnswer,
    OutboxMail,
)
from tests.support.browser_maps import expect_map_drawn, watch_errors
from tests.support.e2e_seeds import COLLECTIF_EMAIL, EMAIL, ESSMS, PASSWORD, log_in, seed, store_run
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser


def test_sign_up_declare_interest_and_accept(
    browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        seed(session)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    errors = watch_errors(page)

    # Keyboard: the first Tab reaches the skip link.
    page.goto(f"{base}/inscription")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"

    # Sign up (every field is found by its label).
    page.get_by_label("Adresse électronique professionnelle").fill(EMAIL)
    page.get_by_label("Numéro FINESS de votre organisme").fill("350000101")
    page.get_by_label("Votre fonction dans l'organisme").fill("Directrice")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.screenshot(path=artifacts / "01-inscription.png", full_page=True)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Confirmez votre adresse")).to_be_visible()

    # Confirm from the link of the mail in the outbox.
    with Session(live_server.engine) as session:
        mail = session.scalar(select(OutboxMail).where(OutboxMail.to == EMAIL))
        assert mail is not None and mail.sent_at is None
        link = re.search(r"https?://\S+/confirmer/\S+", mail.body)
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Adresse confirmée")).to_be_visible()
    expect(page.get_by_text("Votre compte est rattaché")).to_be_visible()  # alpha.fr matches

    # Log in: lands on the organisation's page.
    log_in(page, base, EMAIL)
    expect(page.get_by_role("heading", name=re.compile("ASSOCIATION ALPHA"))).to_be_visible()
    page.screenshot(path=artifacts / "02-mon-organisme.png", full_page=True)

    # Declare the first ESSMS.
    page.get_by_role("link", name="Déclarer EHPAD LES TILLEULS").click()
    page.get_by_label("Un DUI référencé Ségur").check()
    page.get_by_label("Éditeur du DUI").fill("Acme Santé")
    page.get_by_label("Notre organisme est prêt à porter le projet de la grappe").check()
    page.screenshot(path=artifacts / "03-declaration.png", full_page=True)
    page.get_by_role("button", name="Enregistrer la déclaration").click()
    expect(page.get_by_text("Déclaration enregistrée pour EHPAD LES TILLEULS.")).to_be_visible()

    # Express interest in one click (both ESSMS of the OG).
    page.get_by_role("button", name="Signaler mon intérêt pour la campagne").click()
    expect(page.get_by_text("Intérêt signalé pour")).to_be_visible()
    page.screenshot(path=artifacts / "04-interet.png", full_page=True)
    with Session(live_server.engine) as session:
        current = session.scalars(select(Declaration).where(Declaration.is_current.is_(True)))
        by_essms = {d.finess_et: d for d in current}
    assert by_essms["350000101"].editor_raw == "Acme Santé"
    assert by_essms["350000101"].editor_id is not None
    assert all(by_essms[f].interested for f in ("350000101", "350000102"))

    # Neighbours: the origin and SSIAD ALPHA (no DUI yet); OG B has not declared.
    page.goto(f"{base}/essms/350000101/voisins?rayon=100")
    neighbours = expect_map_drawn(page, "carte-voisins")
    expect(neighbours.locator("path.grappes-marker")).to_have_count(2)
    expect(neighbours.locator("path.grappes-radius")).to_have_count(1)
    page.screenshot(path=artifacts / "05-voisins.png", full_page=True)

    # A collectif publishes a run from its console; the proposal appears with its map.
    with Session(live_server.engine) as session:
        campaign_id, run_id, grappe_id = store_run(session)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    console = desk.new_page()
    log_in(console, base, COLLECTIF_EMAIL)
    console.goto(f"{base}/console/campagnes/{campaign_id}/calculs/{run_id}")
    console.get_by_role("button", name="Publier aux organismes").click()
    expect(console.get_by_text("Calcul publié")).to_be_visible()
    desk.close()
    page.get_by_role("link", name="Mes grappes").click()
    page.get_by_role("link", name=re.compile("Grappe n° 1")).click()
    page.wait_for_load_state("load")
    proposal = expect_map_drawn(page, "carte-grappe")
    assert errors == []
    expect(proposal.locator("path.grappes-member, path.grappes-carrier")).to_have_count(len(ESSMS))
    expect(proposal.locator("path.grappes-centre")).to_have_count(1)
    expect(proposal.locator("path.grappes-centre-line")).to_have_count(len(ESSMS))
    expect(page.locator("path.grappes-carrier")).to_have_count(2)
    page.locator("path.grappes-member").first.dispatch_event("click")
    expect(page.locator(".leaflet-popup-content")).to_contain_text("ASSOCIATION BETA")
    expect(page.get_by_role("heading", name="Financement estimé")).to_be_visible()
    page.screenshot(path=artifacts / "06-grappe-proposee.png", full_page=True)

    # Accept with a comment.
    page.get_by_label("J'accepte de rejoindre cette grappe").check()
    page.get_by_label("Commentaire (facultatif)").fill("Nous portons volontiers le projet.")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.get_by_text("Votre réponse est enregistrée.")).to_be_visible()
    expect(page.get_by_role("cell", name="Acceptée", exact=False).first).to_be_visible()
    page.screenshot(path=artifacts / "07-reponse.png", full_page=True)
    with Session(live_server.engine) as session:
        answer = session.scalar(select(GrappeAnswer).where(GrappeAnswer.grappe_id == grappe_id))
        assert answer is not None and answer.answer == "accepte"
        assert answer.finess_ej == "350000001"

    # Small screens: the page stays usable (no horizontal scroll of the body).
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    expect_map_drawn(page, "carte-grappe")
    assert page.evaluate("document.body.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=artifacts / "08-grappe-mobile.png", full_page=True)

    assert errors == []
    context.close()
