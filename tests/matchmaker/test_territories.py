"""Departments and regions are shown by name (« Ille-et-Vilaine (35) », « Bretagne »),
never by their code alone, from one name table (importers.geography) that agrees with the
INSEE names of the outlines in ../shared/data/geo."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS, REGIONS
from matchmaker import formatting
from matchmaker.models import Role
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", page)))


def test_labels() -> None:
    assert formatting.department("44") == "Loire-Atlantique (44)"
    assert formatting.department("2A") == "Corse-du-Sud (2A)"
    assert formatting.department("975") == "Saint-Pierre-et-Miquelon (975)"
    assert formatting.department("977") == "Saint-Barthélemy (977)"
    assert formatting.department("978") == "Saint-Martin (978)"
    assert formatting.region("52") == "Pays de la Loire"
    assert formatting.departments(["35", "56"]) == "Ille-et-Vilaine (35), Morbihan (56)"


@pytest.mark.shared
@pytest.mark.parametrize(
    ("file", "table"),
    [
        ("departements-avec-outre-mer.geojson", DEPARTMENTS),
        ("regions-avec-outre-mer.geojson", REGIONS),
    ],
)
def test_the_name_table_agrees_with_the_insee_names(
    shared_dir: Path, file: str, table: dict
) -> None:
    features = json.loads((shared_dir / "data" / "geo" / file).read_text(encoding="utf-8"))
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in features["features"]}
    assert names
    assert {code: table[code].name for code in names if code in table} == names


def test_the_establishment_page_names_its_department_and_region(
    client: CsrfClient, world: World
) -> None:
    page = text_of(
        client.get(f"/etablissements/{world.essms_a[0].finess_et}").get_data(as_text=True)
    )
    assert "Département Ille-et-Vilaine (35)" in page
    assert "Région Bretagne" in page


def test_an_ars_account_names_its_region(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, region="52")
    page = text_of(client.get("/compte").get_data(as_text=True))
    assert "Région Pays de la Loire" in page
    assert "Région 52" not in page


def test_the_console_names_the_campaign_scope(
    client: CsrfClient, db_session: Session, auth: Auth, world: World
) -> None:
    world.campaign.departments = ["35", "56"]
    db_session.commit()
    auth.login(Role.ADMIN)
    index = text_of(client.get("/console/").get_data(as_text=True))
    show = text_of(client.get(f"/console/campagnes/{world.campaign.id}").get_data(as_text=True))
    for page in (index, show):
        assert "Ille-et-Vilaine (35), Morbihan (56)" in page
