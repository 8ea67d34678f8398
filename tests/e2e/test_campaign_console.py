"""End to end, in headless Chromium: a collectif user creates a campaign, uploads a
declarations file, confirms it, runs the solver and watches its progress, moves an ESSMS,
publishes, and downloads the XLSX (issue 7). Jobs run in the served app's own threads.

Lives in ``tests/e2e`` to share its session-wide Chromium (importing the fixtures into
another folder would start a second Playwright in the same session)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth import services as auth_services
from matchmaker.models import Establishment, Organisation, Role, SolverRun
from tests.support.browser_maps import expect_map_drawn, watch_errors
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser

EMAIL = "animation@collectif-bretagne.fr"
PASSWORD = "un-mot-de-passe-solide"
RENNES = (48.11, -1.68)
#: Long enough for a background job on a loaded machine, in milliseconds.
JOB_WAIT_MS = 120_000


def seed(session: Session) -> tuple[list[str], str]:
    """16 ESSMS of Acme and 16 of Beta around Rennes (one OG each), one ESSMS without DUI,
    and a collectif user of Bretagne. Returns the declarations file's lines and the FINESS
    of the ESSMS without DUI."""
    lines = ["finess_et;editeur;statut_dui"]
    for index in range(33):
        finess_ej = f"35010{index:04d}"
        finess_et = f"35020{index:04d}"
        session.add(
            Organisation(
                finess_ej=finess_ej,
                name=f"ASSOCIATION {index}",
                siret="73282932000074",
                essms_count=1,
            )
        )
        angle = 2 * math.pi * index / 33
        radius = 0.05 + 0.002 * index
        session.add(
            Establishment(
                finess_et=finess_et,
                finess_ej=finess_ej,
                short_name=f"EHPAD {index}",
                long_name=f"EHPAD {index}",
                department="35",
                region="53",
                latitude=RENNES[0] + radius * math.sin(angle),
                longitude=RENNES[1] + radius * math.cos(angle),
                champ="PA",
                is_essms=True,
                is_open=True,
            )
        )
        if index == 32:
            lines.append(f"{finess_et};;aucun")
        else:
            editor = "Acme Santé" if index % 2 else "Beta Soft"
            lines.append(f"{finess_et};{editor};référencé Ségur")
    session.flush()
    auth_services.create_user(
        session, email=EMAIL, password=PASSWORD, role=Role.COLLECTIF, region="53"
    )
    session.commit()
    return lines, "350200032"


def test_collectif_runs_a_campaign_end_to_end(
    browser: object,
    live_server: LiveServer,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    with Session(live_server.engine) as session:
        lines, free = seed(session)
    declarations = tmp_path / "declarations.csv"
    declarations.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = live_server.url
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    errors = watch_errors(page)

    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Console des campagnes").click()

    # Create the campaign (solver parameters come with the configured defaults).
    page.get_by_role("link", name="Créer une campagne").click()
    expect(page.get_by_label("Taille minimale d'une grappe")).to_have_value("15")
    page.get_by_label("Nom de la campagne").fill("Bretagne 2027")
    page.get_by_label("Départements").fill("35")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Bretagne 2027")).to_be_visible()

    # Upload the declarations: the dry run shows its counts, then confirm.
    page.get_by_label("Type de fichier").select_option("declarations")
    page.get_by_label("Fichier", exact=True).set_input_files(declarations)
    page.get_by_role("button", name="Déposer et vérifier").click()
    confirm = page.get_by_role("button", name="Confirmer l'import")
    expect(confirm).to_be_visible(timeout=JOB_WAIT_MS)
    expect(page.get_by_text("Lignes à créer")).to_be_visible()
    page.screenshot(path=artifacts / "console-01-apercu.png", full_page=True)
    confirm.click()
    expect(page.locator(".upload-status")).to_have_text("importé", timeout=JOB_WAIT_MS)

    # Run the solver and watch its progress until the page shows the grappes.
    page.get_by_role("link", name="← Bretagne 2027").click()
    page.get_by_role("button", name="Lancer le calcul").click()
    expect(page.get_by_role("heading", name=re.compile(r"Calcul n° \d+"))).to_be_visible()
    expect(page.get_by_role("heading", name="Grappes proposées")).to_be_visible(timeout=JOB_WAIT_MS)
    run_map = expect_map_drawn(page, "carte-calcul")
    expect(run_map.locator("path.grappes-hull")).to_have_count(2)  # one area per grappe
    expect(run_map.locator(".grappes-label")).to_have_count(2)  # its number at its centre
    expect(run_map.locator(".grappes-legend li")).not_to_have_count(0)
    page.screenshot(path=artifacts / "console-02-calcul.png", full_page=True)
    with Session(live_server.engine) as session:
        run = session.scalars(select(SolverRun)).one()
        where = {m.finess_et: g for g in run.grappes for m in g.members}
        assert run.status == "succeeded" and len(run.grappes) == 2
        target = next(g for g in run.grappes if g.id != getattr(where.get(free), "id", None))
        target_label = f"n° {target.number} — {target.editor_name}"

    # Move the ESSMS without DUI into the other grappe.
    page.get_by_label("Ajustement", exact=True).select_option("move")
    page.get_by_label("FINESS ET", exact=True).fill(free)
    page.get_by_label("Grappe", exact=True).select_option(label=target_label)
    page.get_by_role("button", name="Appliquer").click()
    expect(page.get_by_text("1 ESSMS déplacé(s)")).to_be_visible()

    # Publish, then download the campaign's workbook.
    page.get_by_role("button", name="Publier aux organismes").click()
    expect(page.get_by_text("Calcul publié")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter (Excel)").click()
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)
    book = load_workbook(path, read_only=True)
    proposals = list(book["Propositions"].iter_rows(values_only=True))
    assert len(proposals) == 1 + 33
    moved = next(row for row in proposals[1:] if row[1] == free)
    assert moved[0] == target.number
    page.screenshot(path=artifacts / "console-03-publie.png", full_page=True)
    assert errors == []
    context.close()
