"""End to end, in headless Chromium: an OG director signs up, confirms the address from
the mail in the outbox, declares an ESSMS, expresses interest; a run is published; the
director sees the proposed grappe on the map (its markers are in the page) and accepts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from importers.editor_names import normalise_name
from matchmaker.models import (
    ApprovalStatus,
    Campaign,
    Declaration,
    Editor,
    Establishment,
    Grappe,
    GrappeAnswer,
    GrappeMember,
    Organisation,
    OutboxMail,
    Role,
    Solution,
    SolverRun,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.campaigns import CampaignOwner
from tests.e2e.conftest import LiveServer
from tests.e2e.maps import expect_map_drawn, watch_errors

pytestmark = pytest.mark.browser

PASSWORD = "un-mot-de-passe-solide"
EMAIL = "directrice@alpha.fr"
COLLECTIF_EMAIL = "collectif@bretagne.fr"

#: (finess_et, finess_ej, name, commune, latitude, longitude)
ESSMS = [
    ("350000101", "350000001", "EHPAD LES TILLEULS", "RENNES", 48.11, -1.68),
    ("350000102", "350000001", "SSIAD ALPHA", "CESSON-SEVIGNE", 48.12, -1.60),
    ("350000201", "350000002", "EHPAD BETA", "BRUZ", 48.02, -1.75),
    ("350000202", "350000002", "FOYER BETA", "SAINT-MALO", 48.65, -2.01),
]


def seed(session: Session) -> None:
    session.add_all(
        [
            Organisation(
                finess_ej="350000001",
                name="ASSOCIATION ALPHA",
                email_domain="alpha.fr",
                siret="12345678900011",
                essms_count=2,
            ),
            Organisation(finess_ej="350000002", name="ASSOCIATION BETA", essms_count=2),
        ]
    )
    session.flush()
    for finess_et, finess_ej, name, commune, lat, lon in ESSMS:
        session.add(
            Establishment(
                finess_et=finess_et,
                finess_ej=finess_ej,
                short_name=name,
                long_name=name,
                commune=commune,
                department="35",
                region="53",
                latitude=lat,
                longitude=lon,
                champ="PA",
                is_essms=True,
                is_open=True,
            )
        )
    editor = Editor(name="Acme Santé", key=normalise_name("Acme Santé"))
    session.add(editor)
    session.flush()
    session.add(
        Solution(editor_id=editor.id, name="Acme DUI", key="acme dui", reference_segur=True)
    )
    session.add(
        Campaign(name="Bretagne 2026", region="53", status="open", closes_on=date(2099, 12, 31))
    )
    session.commit()


def store_run(session: Session) -> tuple[int, int, int]:
    """A finished solver run of the campaign, not yet published (what the collectif's
    console stores after a solve), and the collectif user who runs the campaign."""
    campaign = session.scalar(select(Campaign))
    assert campaign is not None
    collectif = User(
        email=COLLECTIF_EMAIL,
        role=Role.COLLECTIF,
        region="53",
        password_hash=generate_password_hash(PASSWORD),
        email_confirmed_at=utcnow(),
        approval_status=ApprovalStatus.APPROVED,
    )
    session.add(collectif)
    session.flush()
    session.add(CampaignOwner(campaign_id=campaign.id, user_id=collectif.id))
    run = SolverRun(
        campaign_id=campaign.id,
        status="succeeded",
        candidate_count=len(ESSMS),
        covered_count=len(ESSMS),
    )
    session.add(run)
    session.flush()
    grappe = Grappe(
        run_id=run.id,
        number=1,
        editor_name="Acme Santé",
        carrier_ej="350000001",
        carrier_reason="volontaire",
        centre_finess_et="350000101",
        centre_latitude=48.11,
        centre_longitude=-1.68,
        mean_km=25.0,
        max_km=68.0,
        og_count=2,
    )
    grappe.members = [
        GrappeMember(
            finess_et=et, finess_ej=ej, distance_km=float(i * 12), is_carrier=ej == "350000001"
        )
        for i, (et, ej, *_rest) in enumerate(ESSMS)
    ]
    session.add(grappe)
    session.commit()
    return campaign.id, run.id, grappe.id


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


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
