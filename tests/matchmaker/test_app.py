"""The factory, configuration, error pages and the home page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matchmaker import ConfigurationError, create_app
from matchmaker.config import SETTINGS, markdown_table
from tests.helpers import ROOT


def test_refuses_to_start_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("GRAPPES_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://"})


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPPES_GRAPPE_MIN_SIZE", "12")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app({"TESTING": True})
    assert app.config["GRAPPE_MIN_SIZE"] == 12
    assert app.config["DATABASE_URL"] == "sqlite://"


def test_production_cookies_are_secure() -> None:
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting: object) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`(GRAPPES_)?{setting.name}`", readme), setting  # type: ignore[attr-defined]


def test_readme_table_is_generated_from_the_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "run `grappes settings` and paste the table in the README"


def test_home_page_is_french(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "ESSMS déjà dans une grappe" in page


def test_unknown_page_is_a_french_404(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_api_clients_get_json_errors(client: FlaskClient) -> None:
    response = client.get("/nulle-part", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Page introuvable"


def test_app_fixture_is_testing(app: Flask) -> None:
    assert app.testing


def test_programme_rules_default_to_the_scale_file(app: Flask) -> None:
    assert app.config["GRAPPE_MIN_SIZE"] == 15
    assert app.config["GRAPPE_MIN_SIZE_REDUCED"] == 8
    assert app.config["GRAPPE_MAX_SIZE"] == 49
    assert app.config["SMALL_OG_THRESHOLD"] == 15
    assert set(app.config["REDUCED_MINIMUM_DEPARTMENTS"]) == {
        "2A",
        "2B",
        "971",
        "972",
        "973",
        "974",
        "975",
        "976",
        "977",
        "978",
    }


def test_another_instruction_changes_the_programme_rules(tmp_path: Path) -> None:
    source = (ROOT / "matchmaker" / "funding" / "scales.toml").read_text(encoding="utf-8")
    edited = source.replace("min_essms = 15", "min_essms = 12").replace(
        'comparison = "fewer_than"', 'comparison = "at_most"'
    )
    assert edited != source
    path = tmp_path / "scales.toml"
    path.write_text(edited, encoding="utf-8")
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "FUNDING_SCALE_FILE": str(path)}
    )
    assert app.config["GRAPPE_MIN_SIZE"] == 12
    assert app.config["SMALL_OG_THRESHOLD"] == 16
