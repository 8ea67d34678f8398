"""Accessibility and layout, in headless Chromium, on every page of every role:

- axe-core (from its npm package, injected by Playwright) finds no « serious » or
  « critical » violation;
- no page overflows horizontally, at 1280 px or at 390 px (a 2,100-character word in an
  upload preview wraps), and no id is used twice;
- the three main journeys are completed with the keyboard only: an OG declares an ESSMS,
  the collectif publishes a run, the OG answers the proposed grappe.

Screenshots of every page go to ``test-artifacts/a11y/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker import create_app
from matchmaker.models import ApprovalStatus, Role, SolverRun, Upload, User
from matchmaker.models.base import utcnow
from tests.helpers import NOT_PAGES
from tests.support.e2e_seeds import COLLECTIF_EMAIL, PASSWORD, seed, store_run
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser

IMPACTS = ("serious", "critical")
ACCOUNTS = {
    "og": ("og@alpha.fr", {"finess_ej": "350000001"}),
    "ars": ("ars@bretagne.fr", {"region": "53"}),
    "admin": ("admin@grappes.fr", {}),
}


def add_account(session: Session, email: str, role: Role, **values: str) -> None:
    session.add(
        User(
            email=email,
            role=role,
            password_hash=generate_password_hash(PASSWORD),
            email_confirmed_at=utcnow(),
            approval_status=ApprovalStatus.APPROVED,
            **values,
        )
    )


def page_paths(values: dict[str, object]) -> Iterator[tuple[str, str]]:
    """Every GET page of the app whose arguments ``values`` can fill."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if set(rule.arguments) <= set(values):
            built = rule.build({name: values[name] for name in rule.arguments})
            assert built is not None
            yield rule.endpoint, built[1]


def log_in_with_keyboard(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    tab_to(page, "Adresse électronique")
    page.keyboard.type(email)
    tab_to(page, "Mot de passe")
    page.keyboard.type(PASSWORD)
    follow(page)


def follow(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


FOCUSED_NAME = """() => {
  const e = document.activeElement;
  if (!e) return "";
  const label = e.labels && e.labels.length ? e.labels[0].textContent : "";
  return [label, e.textContent, e.value, e.getAttribute("aria-label")]
    .map(t => (t || "").replace(/\\s+/g, " ").trim()).join(" | ");
}"""


def tab_to(page: Page, name: str, limit: int = 250) -> None:
    """Press Tab until the focused element's label, text or value starts with ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        parts = page.evaluate(FOCUSED_NAME).split(" | ")
        if any(part.startswith(name) for part in parts):
            return
    raise AssertionError(f"« {name} » cannot be reached with the Tab key")


IN_GROUP = """(name) => {
  const e = document.activeElement;
  if (!e || e.type !== "radio") return false;
  return [...document.getElementsByName(e.name)].some(
    r => r.labels.length && r.labels[0].textContent.trim().startsWith(name));
}"""


def choose(page: Page, name: str, limit: int = 250) -> None:
    """Tab to the radio group holding the choice ``name``, then move to it with the arrow
    keys (which check it), as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(IN_GROUP, name):
            break
    else:
        raise AssertionError(f"the choice « {name} » cannot be reached with the Tab key")
    for _ in range(12):
        if page.evaluate(FOCUSED_NAME).startswith(name):
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the choice « {name} » cannot be reached with the arrow keys")


def check_page(page: Page, axe: Path, shots: Path, label: str) -> list[str]:
    """Problems of the page: axe violations (serious, critical), duplicate ids, and an
    overflow at 390 px."""
    problems = []
    page.add_script_tag(path=str(axe))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        if violation["impact"] in IMPACTS:
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{label}: axe {violation['id']} ({violation['impact']}) {targets}")
    duplicates = page.evaluate(
        """() => { const seen = {}, twice = [];
        document.querySelectorAll('[id]').forEach(e => {
          if (seen[e.id]) twice.push(e.id); seen[e.id] = true; });
        return twice; }"""
    )
    if duplicates:
        problems.append(f"{label}: ids used twice {sorted(set(duplicates))}")
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > 1281:
        problems.append(f"{label}: {wide} px wide at 1280 px")
    page.screenshot(path=shots / f"{label}-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 391:
        problems.append(f"{label}: {width} px wide at 390 px")
    page.screenshot(path=shots / f"{label}-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


#: A comment made of one 2,100-character word: the preview must wrap it (it made the page
#: 20,715 px wide).
LONG_WORD = "commentaire" * 191


def previewed_upload(campaign_id: int) -> Upload:
    """A declarations file already previewed, whose warning quotes a very long comment."""
    return Upload(
        campaign_id=campaign_id,
        kind="declarations",
        original_name="déclarations.csv",
        stored_name="e2e-declarations.csv",
        size_bytes=34304,
        sha256="0" * 64,
        detected_format="csv",
        status="previewed",
        preview={
            "counts": [["Lignes à créer", 1], ["Avertissements", 1]],
            "refused": None,
            "errors": [
                {
                    "fichier": "déclarations.csv",
                    "ligne": "2",
                    "colonne": "commentaire",
                    "gravite": "avertissement",
                    "attendu": "un commentaire lisible",
                    "trouve": LONG_WORD,
                    "indication": "",
                }
            ],
            "error_count": 0,
            "warning_count": 1,
            "truncated": False,
        },
    )


@pytest.fixture
def site(live_server: LiveServer) -> dict[str, object]:
    with Session(live_server.engine) as session:
        seed(session)
        campaign_id, run_id, grappe_id = store_run(session)
        for role, (email, values) in ACCOUNTS.items():
            add_account(session, email, Role(role), **values)
        upload = previewed_upload(campaign_id)
        session.add(upload)
        session.flush()
        upload_id = upload.id
        session.commit()
    return {
        "upload_id": upload_id,
        "campaign_id": campaign_id,
        "run_id": run_id,
        "grappe_id": grappe_id,
        "finess_et": "350000101",
        "finess_ej": "350000001",
    }


def test_every_page_of_every_role_is_accessible_and_fits(
    browser: object,
    live_server: LiveServer,
    site: dict[str, object],
    axe_script: Path,
    artifacts: Path,
) -> None:
    with Session(live_server.engine) as session:
        run = session.get(SolverRun, site["run_id"])
        assert run is not None
        run.published_at = utcnow()
        session.commit()
    shots = artifacts / "a11y"
    shots.mkdir(exist_ok=True)
    base = live_server.url
    paths = list(page_paths(site))
    accounts = {"anonyme": None, "collectif": COLLECTIF_EMAIL}
    accounts.update({role: email for role, (email, _) in ACCOUNTS.items()})
    problems: list[str] = []
    checked = 0
    for role, email in accounts.items():
        # axe-core is injected as a script tag: the site's CSP (tested on its own in
        # test_security_headers.py) would refuse it, so this context bypasses the CSP.
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1280, "height": 900}, locale="fr-FR", bypass_csp=True
        )
        page = context.new_page()
        if email:
            log_in_with_keyboard(page, base, email)
        for endpoint, path in paths:
            response = page.goto(f"{base}{path}")
            assert response is not None
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            label = f"{role}-{endpoint.replace('.', '-')}"
            problems += check_page(page, axe_script, shots, label)
            checked += 1
        context.close()
    assert checked >= 5 * 25, checked
    assert problems == [], "\n".join(problems)


def test_the_three_main_journeys_with_the_keyboard_only(
    browser: object, live_server: LiveServer, site: dict[str, object], artifacts: Path
) -> None:
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()

    # 1. The OG declares an ESSMS.
    log_in_with_keyboard(page, base, ACCOUNTS["og"][0])
    expect(page.get_by_role("heading", name=re.compile("ASSOCIATION ALPHA"))).to_be_visible()
    tab_to(page, "Déclarer EHPAD LES TILLEULS")
    follow(page)
    choose(page, "Un DUI référencé Ségur")
    tab_to(page, "Éditeur du DUI")
    page.keyboard.type("Acme Santé")
    tab_to(page, "Enregistrer la déclaration")
    follow(page)
    expect(page.get_by_text("Déclaration enregistrée pour EHPAD LES TILLEULS.")).to_be_visible()
    page.screenshot(path=artifacts / "clavier-1-declaration.png", full_page=True)

    # 2. The collectif publishes the run from its console.
    console = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    desk = console.new_page()
    log_in_with_keyboard(desk, base, COLLECTIF_EMAIL)
    expect(desk.get_by_role("heading", name=re.compile("Campagnes|Console"))).to_be_visible()
    tab_to(desk, "Bretagne 2026")
    follow(desk)
    tab_to(desk, f"Calcul n° {site['run_id']}")
    follow(desk)
    tab_to(desk, "Publier aux organismes")
    follow(desk)
    expect(desk.get_by_text("Calcul publié")).to_be_visible()
    desk.screenshot(path=artifacts / "clavier-2-publication.png", full_page=True)
    console.close()

    # 3. The OG answers the proposed grappe.
    page.goto(f"{base}/mon-organisme")
    tab_to(page, "Une proposition vous attend")
    follow(page)
    choose(page, "J'accepte de rejoindre cette grappe")
    tab_to(page, "Envoyer ma réponse")
    follow(page)
    expect(page.get_by_text("Votre réponse est enregistrée.")).to_be_visible()
    page.screenshot(path=artifacts / "clavier-3-reponse.png", full_page=True)
    context.close()
