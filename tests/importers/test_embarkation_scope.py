"""Issue 11, hole 1: a collectif's upload touches its own campaign only. An embarkation
list uploaded to a campaign may mark only ESSMS of the campaign's departments (the list of
embarked ESSMS is national: other regions' ARS desks read it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.imports.embarkation import import_embarked
from matchmaker.models import Embarkation
from tests.support.files import write_xlsx

pytestmark = pytest.mark.usefixtures("finess", "referential")


def test_an_embarkation_list_of_a_campaign_keeps_to_its_departments(
    db_session: Session, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "embarques.xlsx",
        [
            ["N° FINESS", "Programme", "Éditeur retenu"],
            ["010001001", "ESMS numérique", "Aurore Informatique"],
            ["690001003", "ESMS numérique", "Aurore Informatique"],
        ],
    )
    summary = import_embarked(db_session, path, departments=frozenset({"01"}))
    [error] = summary.errors
    assert (error.line, error.found) == (3, "690001003")
    assert "départements de la campagne (01)" in error.expected and "69" in (error.hint or "")
    embarked = db_session.scalars(select(Embarkation.finess_et)).all()
    assert embarked == ["010001001"]
    assert db_session.scalar(select(func.count()).select_from(Embarkation)) == 1
