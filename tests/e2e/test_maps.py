"""End to end, in headless Chromium: the dense console run map (800 ESSMS over five
Breton departments and La Réunion) is readable — one colour and one area per grappe,
clusters where dense, a legend that fits, filters by editor and department, La Réunion one
choice away — a national run opens on a summary per department, and the establishment page
shows its position. Every map draws the shipped outlines without internet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import ApprovalStatus, Campaign, Role, SolverRun, User
from matchmaker.models.base import utcnow
from matchmaker.models.campaigns import CampaignOwner
from tests.support.browser_maps import expect_map_drawn, watch_errors
from tests.support.e2e_server import LiveServer
from tests.support.mapdata import SPREAD, BigRun, generate

pytestmark = pytest.mark.browser

EMAIL = "collectif@cartes.fr"
PASSWORD = "un-mot-de-passe-solide"
GRAPPES, SIZE, LEFT_OUT = 38, 20, 40  # 800 markers


def seed(session: Session) -> tuple[int, int, BigRun]:
    campaign = Campaign(name="Cartes 2027", region="53", status="open")
    session.add(campaign)
    user = User(
        email=EMAIL,
        role=Role.COLLECTIF,
        region="53",
        password_hash=generate_password_hash(PASSWORD),
        email_confirmed_at=utcnow(),
        approval_status=ApprovalStatus.APPROVED,
    )
    session.add(user)
    session.flush()
    session.add(CampaignOwner(campaign_id=campaign.id, user_id=user.id))
    run = SolverRun(campaign_id=campaign.id, status="succeeded", candidate_count=800)
    session.add(run)
    session.flush()
    big = generate(session, run, grappes=GRAPPES, size=SIZE, left_out=LEFT_OUT)
    return campaign.id, run.id, big


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda address: "/connexion" not in address)


def test_the_dense_run_map_is_readable(
    browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        campaign_id, run_id, big = seed(session)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/console/campagnes/{campaign_id}/calculs/{run_id}")
    box = expect_map_drawn(page, "carte-calcul")
    assert GRAPPES * SIZE + LEFT_OUT == 800
    expect(box).to_have_attribute("data-map-markers", "800")
    expect(box).to_have_attribute("data-map-clustered", "true")
    expect(box.locator(".marker-cluster").first).to_be_visible()  # dense places clustered
    expect(box.locator("path.grappes-hull")).to_have_count(GRAPPES)  # one area per grappe
    expect(box.locator(".grappes-label")).to_have_count(GRAPPES)  # numbered at the centre
    # The legend fits in the map, whatever the number of grappes.
    legend = box.locator(".grappes-legend")
    expect(legend).to_be_visible()
    inner, outer = legend.bounding_box(), box.bounding_box()
    assert inner is not None and outer is not None
    assert inner["height"] <= outer["height"] / 2 and inner["y"] >= outer["y"]
    # The first view is the mainland; La Réunion's ESSMS are counted in the selector.
    reunion = big.by_department["974"]
    territory = box.locator(".grappes-territories select")
    expect(territory.locator("option", has_text=f"La Réunion ({reunion})")).to_have_count(1)
    page.screenshot(path=artifacts / "cartes-01-calcul-dense.png", full_page=True)

    territory.select_option(label=f"La Réunion ({reunion})")
    page.wait_for_function(
        "() => { const c = document.getElementById('carte-calcul').grappesMap.map.getCenter();"
        " return c.lat < -20 && c.lat > -22 && c.lng > 55 && c.lng < 56; }"
    )
    page.screenshot(path=artifacts / "cartes-02-la-reunion.png", full_page=True)

    # Filters: by department, then by editor.
    page.get_by_label("Département", exact=True).select_option("974")
    expect(box).to_have_attribute("data-map-state", "ready")
    expect(box).to_have_attribute("data-map-markers", str(reunion), timeout=10_000)
    page.get_by_label("Département", exact=True).select_option("")
    page.get_by_label("Éditeur", exact=True).select_option("Beta Soft")
    beta = SIZE * len(range(1, GRAPPES, 3))
    expect(box).to_have_attribute("data-map-markers", str(beta), timeout=10_000)
    expect(box.locator("path.grappes-hull")).to_have_count(len(range(1, GRAPPES, 3)))
    page.screenshot(path=artifacts / "cartes-03-filtre-editeur.png", full_page=True)

    # One grappe's page: its members linked to its centre.
    page.get_by_role("link", name="n° 1", exact=True).click()
    grappe = expect_map_drawn(page, "carte-grappe")
    expect(grappe.locator("path.grappes-centre-line")).to_have_count(SIZE)
    expect(grappe.locator("path.grappes-hull")).to_have_count(0)
    page.screenshot(path=artifacts / "cartes-07-grappe.png", full_page=True)
    assert errors == []
    context.close()


@pytest.fixture
def small_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live server opens run maps of more than 300 ESSMS on a summary."""
    monkeypatch.setenv("GRAPPES_MAP_SUMMARY_THRESHOLD", "300")


def test_a_national_run_opens_on_a_summary_and_loads_a_department(
    small_summary: None, browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        campaign_id, run_id, _big = seed(session)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/console/campagnes/{campaign_id}/calculs/{run_id}")
    box = expect_map_drawn(page, "carte-calcul")
    expect(box).to_have_attribute("data-map-mode", "summary")
    expect(box.locator("path.grappes-summary")).to_have_count(len(SPREAD))
    expect(box.locator(".grappes-label")).to_have_count(len(SPREAD))  # labelled circles
    expect(page.locator("#carte-calcul-etat")).to_contain_text("choisissez un département")
    page.screenshot(path=artifacts / "cartes-04-synthese.png", full_page=True)
    # A click on Finistère's circle loads its ESSMS (circles are drawn in code order).
    finistere = box.locator("path.grappes-summary").nth(sorted(SPREAD).index("29"))
    finistere.dispatch_event("click")
    expect(box).to_have_attribute("data-map-mode", "points", timeout=10_000)
    expect(page.get_by_label("Département", exact=True)).to_have_value("29")
    expect(box.locator("path.grappes-hull")).not_to_have_count(0)
    page.screenshot(path=artifacts / "cartes-05-departement.png", full_page=True)
    assert errors == []
    context.close()


def test_the_establishment_page_shows_its_position(
    browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        seed(session)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    errors = watch_errors(page)
    page.goto(f"{live_server.url}/etablissements/979000101")  # in La Réunion
    expect(page.get_by_role("heading", name=re.compile("EHPAD GÉNÉRÉ"))).to_be_visible()
    box = expect_map_drawn(page, "carte-position")
    expect(box.locator("path.grappes-origin")).to_have_count(1)
    # Centred on its territory, which the selector names.
    expect(box.locator(".grappes-territories select")).to_have_value("974")
    page.screenshot(path=artifacts / "cartes-06-etablissement.png", full_page=True)
    assert errors == []
    context.close()


@pytest.fixture
def tile_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live server draws tiles from a tile URL of its own (no internet here)."""
    monkeypatch.setenv(
        "GRAPPES_MAP_TILES_URL", "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}"
    )
    monkeypatch.setenv("GRAPPES_MAP_TILES_ATTRIBUTION", "Fond de carte de test")


def test_tiles_are_an_optional_layer_above_the_outlines(
    tile_setting: None, browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        seed(session)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    errors = watch_errors(page)
    page.goto(f"{live_server.url}/etablissements/359000001")
    box = expect_map_drawn(page, "carte-position", tiles=True)
    expect(box.locator(".leaflet-control-attribution")).to_contain_text("Fond de carte de test")
    page.screenshot(path=artifacts / "cartes-08-tuiles.png", full_page=True)
    assert errors == []
    context.close()
