"""The declaration tests' world, a fixture module (``pytest_plugins`` of ``tests/conftest.py``):
a small FINESS (``finess``), the synthetic editor referential (``referential``) and a
campaign (``campaign``; the solver-run tests have a campaign of their own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from importers.synthetic_declarations import synthetic_referential, write_referential_csv
from matchmaker.campaigns.services import create_operator_campaign
from matchmaker.imports.editors import import_editors
from matchmaker.models import Campaign, Establishment, Organisation
from tests.factories import make_establishment, make_organisation


def essms(
    session: Session,
    finess_et: str,
    finess_ej: str,
    short_name: str = "EHPAD Test",
    department: str = "01",
    **fields: Any,
) -> Establishment:
    """An ESSMS (champ PA unless told) without coordinates nor category, of the OG
    ``finess_ej`` (made when missing)."""
    organisation = session.get(Organisation, finess_ej) or make_organisation(
        session, finess_ej, name="Association Test"
    )
    fields.setdefault("latitude", None)
    fields.setdefault("longitude", None)
    fields.setdefault("category_code", None)
    return make_establishment(
        session,
        organisation,
        finess_et=finess_et,
        short_name=short_name,
        department=department,
        **fields,
    )


@pytest.fixture
def finess(db_session: Session) -> dict[str, Establishment]:
    """A small FINESS: two OG in Ain, one in Rhône, one in Corsica, one in La Réunion, a
    non-ESSMS and a closed ESSMS."""
    make_organisation(db_session, "010000001", name="Association Les Tilleuls")
    make_organisation(db_session, "690000002", name="Fondation Rhône Solidarité")

    def make(*args: Any, **fields: Any) -> Establishment:
        return essms(db_session, *args, **fields)

    return {
        "ain1": make(
            "010001001", "010000001", "EHPAD Les Tilleuls", "01", commune="Bourg-en-Bresse"
        ),
        "ain2": make(
            "010001002", "010000001", "SSIAD Les Tilleuls", "01", commune="Belley", champ="DOM"
        ),
        "rhone": make("690001003", "690000002", "IME Les Monts", "69", commune="Lyon", champ="PH"),
        "corse": make("2A0001004", "2A0000003", "EHPAD U Mare", "2A", commune="Ajaccio"),
        "reunion": make(
            "970401005", "970400004", "FAM Bois Rouge", "974", commune="Saint-Paul", champ="PH"
        ),
        "hospital": make(
            "690001999", "690000002", "Centre hospitalier", "69", is_essms=False, champ=None
        ),
        "closed": make("010001098", "010000001", "Foyer fermé", "01", is_open=False),
    }


@pytest.fixture
def referential(db_session: Session, tmp_path: Path) -> list[Any]:
    """The synthetic editor referential, imported through the editors importer."""
    editors = synthetic_referential()
    path = write_referential_csv(tmp_path / "editeurs.csv", editors)
    import_editors(db_session, path)
    return editors


@pytest.fixture
def campaign(db_session: Session) -> Campaign:
    return create_operator_campaign(db_session, "Ain-Rhône 2026")
