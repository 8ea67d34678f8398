"""End to end, in headless Chromium: an ARS user opens the dashboard (figures, the rate map
with one circle per department of the region), then the non-embarked on their clustered
map, and logs a phone call. Uses the browser and live-server fixtures of ``tests/e2e``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.geography import departments_of_region
from matchmaker.models import ContactAction
from tests.support.browser_maps import expect_map_drawn, watch_errors
from tests.support.e2e_seeds import ARS_EMAIL as EMAIL
from tests.support.e2e_seeds import PASSWORD
from tests.support.e2e_seeds import seed_ars as seed
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser


def test_dashboard_map_and_contact_log(
    browser: object,
    live_server: LiveServer,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    with Session(live_server.engine) as session:
        seed(session)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    errors = watch_errors(page)

    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Bureau ARS").click()

    expect(page.get_by_role("heading", name=re.compile("Embarquement des ESSMS"))).to_be_visible()
    expect(page.locator("#chiffre-eligibles")).to_have_text("6")
    expect(page.locator("#chiffre-embarques")).to_have_text("2")
    expect(page.locator("#chiffre-taux")).to_have_text("33,3 %")
    rate_map = expect_map_drawn(page, "carte-taux")
    # The choropleth on the shipped outlines, each department of the region labelled.
    count = len(departments_of_region("76"))
    expect(rate_map).to_have_attribute("data-map-areas", str(count))
    expect(rate_map.locator(".grappes-label")).to_have_count(count)
    ariege = rate_map.locator(".grappes-label", has_text=re.compile(r"^09 : \d+,\d[ \u00a0]%$"))
    expect(ariege).to_have_count(1)
    expect(page.get_by_role("table", name="Par département")).to_be_visible()
    page.screenshot(path=artifacts / "ars-01-tableau-de-bord.png", full_page=True)

    page.get_by_role("link", name="Non embarqués").first.click()
    expect(page.locator("#nombre-resultats")).to_have_text("4 ESSMS")
    targets_map = expect_map_drawn(page, "carte-non-embarques")
    expect(targets_map.locator(".marker-cluster")).not_to_have_count(0)  # three near Foix
    page.screenshot(path=artifacts / "ars-02-non-embarques.png", full_page=True)

    page.get_by_role("link", name="Jamais contacté").first.click()
    page.get_by_label("Canal").select_option("phone")
    page.get_by_label("Étape après cette action").select_option("contacted")
    page.get_by_label("Résultat").fill("Directrice jointe, intéressée par un webinaire")
    page.get_by_role("button", name="Enregistrer l'action").click()
    expect(page.get_by_text("Action enregistrée.")).to_be_visible()

    # A what-if simulation of Ariège: its map once the job is done.
    page.get_by_role("link", name="Simulations").first.click()
    page.get_by_label("Périmètre").select_option("09")
    page.get_by_role("button", name="Lancer la simulation").click()
    simulation_map = expect_map_drawn(page, "carte-simulation")
    expect(simulation_map.locator("path.grappes-marker")).not_to_have_count(0)
    page.screenshot(path=artifacts / "ars-03-simulation.png", full_page=True)
    assert errors == []
    with Session(live_server.engine) as session:
        actions = list(session.scalars(select(ContactAction)))
    assert [(a.channel, a.stage, a.is_current) for a in actions] == [("phone", "contacted", True)]
