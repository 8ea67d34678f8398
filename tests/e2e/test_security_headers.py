"""Issue 11, hole 5, in headless Chromium: under the Content-Security-Policy the desk's
maps still render with no CSP violation, and another site cannot frame a page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.support.e2e_seeds import ARS_EMAIL as EMAIL
from tests.support.e2e_seeds import PASSWORD
from tests.support.e2e_seeds import seed_ars as seed
from tests.support.e2e_server import LiveServer

pytestmark = pytest.mark.browser

#: Records every CSP violation the page reports (the listener is injected by the browser
#: tool, not by the page, so the policy does not apply to it).
LISTEN = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation', (e) =>"
    " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def test_maps_render_under_the_csp_and_framing_is_refused(
    browser: object, live_server: LiveServer, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    with Session(live_server.engine) as session:
        seed(session)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")  # type: ignore[attr-defined]
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Bureau ARS").click()
    expect(page.locator(".leaflet-container").first).to_be_visible()
    expect(page.locator("path.grappes-outline-department").first).to_be_attached()
    assert page.evaluate("window.__violations") == []
    page.goto(f"{base}/ars/non-embarques")
    expect(page.locator(".leaflet-container").first).to_be_visible()
    expect(page.locator(".leaflet-marker-icon, .leaflet-interactive").first).to_be_attached()
    page.screenshot(path=str(artifacts / "csp-map.png"))
    assert page.evaluate("window.__violations") == []
    assert errors == []
    assert not [text for text in console if "Content Security Policy" in text], console

    # A page of another origin framing the proposal or login page gets nothing.
    attacker = context.new_page()
    blocked: list[str] = []
    attacker.on("console", lambda message: blocked.append(message.text))
    attacker.set_content(f'<iframe id="cadre" src="{base}/connexion" width="800"></iframe>')
    attacker.wait_for_timeout(1500)
    frame = attacker.frame_locator("#cadre")
    expect(frame.get_by_label("Adresse électronique")).to_have_count(0)
    assert any(re.search("frame-ancestors|X-Frame-Options", text) for text in blocked), blocked
    context.close()
