"""Issue 11, hole 5: security headers (flask-talisman): a CSP allowing inline scripts only
by nonce, no framing, nosniff, a referrer policy, HSTS over HTTPS."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from matchmaker.models import Role
from tests.helpers import ROOT, Auth, CsrfClient
from tests.support.bretagne import World

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


def policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["Content-Security-Policy"]
    parts = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: (value[0] if value else "") for name, *value in parts}


def test_every_page_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = policy(response)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert re.fullmatch(r"'self' 'nonce-[\w-]+'", csp["script-src"]), csp["script-src"]
    assert "unsafe-inline" not in csp["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_a_map_page_runs_only_the_sites_own_scripts(
    client: CsrfClient, auth: Auth, world: World
) -> None:
    """The maps are static scripts fetching their GeoJSON: the policy allows the site's own
    files and nonce-carrying inline scripts, never any inline script."""
    auth.login(Role.OG)
    response = client.get(f"/essms/{world.essms_a[0].finess_et}/voisins")
    assert response.status_code == 200
    script_src = policy(response)["script-src"]
    assert "'self'" in script_src and "'nonce-" in script_src
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    page = response.get_data(as_text=True)
    nonce = script_src.split("'nonce-")[1].rstrip("'")
    assert all(f'nonce="{nonce}"' in attributes for attributes in INLINE_SCRIPT.findall(page))
    assert 'src="/static/js/maps.js"' in page


def test_no_template_has_an_inline_script_without_nonce() -> None:
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for attributes in INLINE_SCRIPT.findall(path.read_text(encoding="utf-8")):
            if "csp_nonce()" not in attributes:
                offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []
    assert not re.search(
        r"\son[a-z]+=\"",
        "".join(p.read_text(encoding="utf-8") for p in (ROOT / "templates").rglob("*.html")),
    ), "inline event handlers are blocked by the CSP"


def test_pages_seen_while_logged_in_are_never_kept_in_a_cache(
    client: CsrfClient, auth: Auth, world: World
) -> None:
    """A logged-in page shows contacts and declarations: after « Se déconnecter » on a shared
    computer, « Précédent » must not show it again from the browser's cache."""
    auth.login(Role.OG)
    for url in ("/", f"/essms/{world.essms_a[0].finess_et}/voisins"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store", url
        assert "Cookie" in response.headers.get("Vary", ""), url
    static = client.get("/static/js/maps.js")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_public_pages_stay_cacheable_for_anonymous_visitors(client: FlaskClient) -> None:
    response = client.get("/")
    assert "no-store" not in response.headers.get("Cache-Control", "")
