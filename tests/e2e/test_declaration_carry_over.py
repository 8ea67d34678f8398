"""End to end, in headless Chromium: an OG declares an ESSMS; the campaign closes and a
new one opens over the same region; the OG page starts from the declaration, « à
confirmer », says which campaign it uses, and one click confirms it (issue 12, point 2)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import ApprovalStatus, Campaign, Declaration, Role, User
from matchmaker.models.base import utcnow
from tests.support.e2e_seeds import EMAIL, PASSWORD, log_in, seed
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser


def test_a_new_campaign_carries_the_declaration_over(
    browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    with Session(live_server.engine) as session:
        seed(session)
        now = utcnow()
        session.add(
            User(
                email=EMAIL,
                password_hash=generate_password_hash(PASSWORD),
                role=Role.OG,
                finess_ej="350000001",
                requested_finess_ej="350000001",
                email_confirmed_at=now,
                approval_status=ApprovalStatus.APPROVED,
                approved_at=now,
            )
        )
        session.commit()
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    log_in(page, base, EMAIL)
    expect(page.get_by_role("heading", name=re.compile("ASSOCIATION ALPHA"))).to_be_visible()
    page.get_by_role("link", name="Déclarer EHPAD LES TILLEULS").click()
    page.get_by_label("Un DUI référencé Ségur").check()
    page.get_by_label("Éditeur du DUI").fill("Acme Santé")
    page.get_by_role("button", name="Enregistrer la déclaration").click()
    expect(page.get_by_text("Déclaration enregistrée pour EHPAD LES TILLEULS.")).to_be_visible()

    # The collectif closes the campaign and opens the next one over the same region.
    with Session(live_server.engine) as session:
        first = session.scalar(select(Campaign))
        assert first is not None
        first.status = "closed"
        session.add(
            Campaign(name="Bretagne 2027", region="53", status="open", closes_on=date(2099, 1, 1))
        )
        session.commit()
    page.reload()
    expect(
        page.get_by_text(re.compile(r"Campagne « Bretagne 2027 » : c'est la campagne"))
    ).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(r"déclaré le \d\d/\d\d/\d{4} \(campagne Bretagne 2026\) — à confirmer")
        )
    ).to_be_visible()
    expect(page.get_by_text("Acme Santé — référencé Ségur")).to_be_visible()
    page.screenshot(path=artifacts / "report-a-confirmer.png", full_page=True)

    page.get_by_role("button", name="Confirmer la déclaration de EHPAD LES TILLEULS").click()
    expect(page.get_by_text("Déclaration confirmée pour 1 établissement(s).")).to_be_visible()
    expect(page.get_by_text(re.compile("à confirmer"))).to_have_count(0)
    with Session(live_server.engine) as session:
        second = session.scalar(select(Campaign).where(Campaign.name == "Bretagne 2027"))
        assert second is not None
        confirmed = session.scalar(
            select(Declaration).where(
                Declaration.campaign_id == second.id, Declaration.is_current.is_(True)
            )
        )
        assert confirmed is not None and confirmed.finess_et == "350000101"
        assert confirmed.editor_raw == "Acme Santé" and confirmed.dui_status == "reference_segur"
    context.close()
