"""Error pages: 400, 403, 404, 405, 413, 429 and 500 are French pages in the site's layout
with a way back, never Werkzeug's or Flask-WTF's English; API clients get JSON."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from flask import Flask, abort
from werkzeug.exceptions import default_exceptions

from matchmaker import create_app
from matchmaker.extensions import db
from tests.helpers import CsrfClient

CODES = (400, 403, 404, 405, 413, 429, 500)


@pytest.fixture(scope="module")
def failing_app(database_url: str) -> Iterator[Flask]:
    """The real app plus one route per code that fails with Werkzeug's default text."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url})

    @app.get("/echec/<int:code>")
    def fail(code: int) -> str:
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    @app.get("/echec-francais")
    def fail_in_french() -> str:
        abort(404, description="La simulation n'est pas terminée.")

    yield app
    db.engine_of(app).dispose()


def english_texts(code: int) -> list[str]:
    exception = default_exceptions[code]
    return [exception.description or "", exception().name]


@pytest.mark.parametrize("code", CODES)
def test_each_code_is_a_french_page_in_the_layout(failing_app: Flask, code: int) -> None:
    client = failing_app.test_client()
    response = client.get(f"/echec/{code}", headers={"Referer": "http://localhost/recherche"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == code
    assert '<html lang="fr">' in page and 'class="site-footer"' in page
    assert "Retour à l'accueil" in page
    assert 'href="http://localhost/recherche">Revenir à la page précédente' in page
    for english in english_texts(code):
        assert english not in page
    assert "Traceback" not in page and "boom" not in page


def test_a_way_back_never_leads_to_another_site(failing_app: Flask) -> None:
    client = failing_app.test_client()
    page = client.get("/echec/404", headers={"Referer": "https://ailleurs.example/x"})
    assert "ailleurs.example" not in page.get_data(as_text=True)


def test_an_unknown_page_is_french(client: CsrfClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_a_wrong_method_is_french(client: CsrfClient) -> None:
    response = client.put("/connexion")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 405
    assert "Action non autorisée" in page
    assert "not allowed" not in page


def test_a_missing_csrf_token_is_explained_in_french(client: CsrfClient) -> None:
    response = client.post("/connexion", data={"email": "a@b.fr", "password": "x"}, csrf=False)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Formulaire expiré" in page and "Rechargez la page" in page
    assert "CSRF" not in page


def test_a_french_description_written_by_our_code_is_shown(failing_app: Flask) -> None:
    page = failing_app.test_client().get("/echec-francais").get_data(as_text=True)
    assert "La simulation n&#39;est pas terminée." in page


def test_api_clients_get_json(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/echec/404", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"] == "Page introuvable"
