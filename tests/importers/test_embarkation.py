"""Embarkation lists: tolerant import, errors, idempotence; and the embarkation status."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from matchmaker.declarations.services import embarkation_status, is_embarked
from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.embarkation import import_embarked
from matchmaker.models import Campaign, Editor, Embarkation
from tests.support.files import write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("finess", "referential")


def editor_id(session: Session, name: str) -> int:
    editor = session.scalar(select(Editor).where(Editor.name == name))
    assert editor is not None
    return editor.id


def test_import_ars_list_tolerantly_and_idempotently(db_session: Session, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "embarques.xlsx",
        [
            ["N° FINESS", "Programme", "Éditeur retenu", "Année", "Nom du projet"],
            [10001001, "ESMS numérique", "Aurore Informatique", 2023, "Grappe Ain 1"],
            [10001002, "SONS", "symphonie", 2024.0, None],
        ],
    )
    first = import_embarked(db_session, path)
    assert first.errors == []
    assert (first.created, first.changed, first.unchanged) == (2, 0, 0)
    again = import_embarked(db_session, path)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    assert db_session.scalar(select(func.count()).select_from(Embarkation)) == 2
    sons = db_session.scalar(select(Embarkation).where(Embarkation.scheme == "sons"))
    assert sons is not None
    assert (sons.finess_et, sons.year, sons.source_line) == ("010001002", 2024, 3)
    assert sons.editor_id == editor_id(db_session, "Berlioz Logiciels")


def test_embarkation_errors(db_session: Session, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "liste.csv",
        [
            ["finess_et", "dispositif", "editeur", "annee", "projet"],
            ["010001001", "esms_numerique", "", "2023", "P1"],
            ["010001001", "ESMS NUMERIQUE", "", "2024", "P2"],  # duplicate
            ["690001003", "sons", "", "", ""],  # SONS without editor
            ["690000002", "sons", "Vigie", "", ""],  # an EJ
            ["2A0001004", "fonds européens", "", "deux mille", ""],  # scheme, year
        ],
    )
    summary = import_embarked(db_session, path, dry_run=True)
    found = {(error.line, error.column) for error in summary.errors}
    assert found == {
        (3, "finess_et"),
        (4, "editeur"),
        (5, "finess_et"),
        (6, "dispositif"),
        (6, "annee"),
    }
    assert (summary.created, summary.rejected) == (1, 4)
    assert db_session.scalar(select(func.count()).select_from(Embarkation)) == 0
    with pytest.raises(ImportRefused):
        import_embarked(db_session, path, strict=True)
    assert db_session.scalar(select(func.count()).select_from(Embarkation)) == 0


def test_embarkation_status_from_lists_and_declarations(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    import_embarked(
        db_session,
        write_csv(
            tmp_path / "liste.csv",
            [
                ["finess_et", "dispositif", "editeur"],
                ["010001001", "esms_numerique", ""],
                ["010001002", "sons", "Vigie"],
            ],
        ),
    )
    import_declarations(
        db_session,
        write_csv(
            tmp_path / "d.csv",
            [
                ["finess_et", "editeur", "statut_sons", "deja_finance_esms_numerique"],
                ["010001002", "Symphonie", "commande", "non"],  # the list's editor wins
                ["690001003", "Nacre", "realise", "non"],  # declared SONS: locked to Nacre
                ["2A0001004", "", "", "oui"],  # declared already funded
                ["970401005", "Prisme", "aucun", "non"],  # not embarked
            ],
        ),
        campaign,
    )
    status = embarkation_status(db_session, campaign.id)
    assert set(status) == {"010001001", "010001002", "690001003", "2A0001004"}
    assert status["010001001"].esms_numerique and not status["010001001"].is_candidate
    assert status["010001002"].locked_editor_id == editor_id(db_session, "Sémaphore SI")
    assert status["010001002"].sources == ("liste", "declaration")
    assert status["010001002"].is_candidate and status["010001002"].embarked
    assert status["690001003"].locked_editor_id == editor_id(
        db_session, "Opale Systèmes d'Information"
    )
    assert status["2A0001004"].esms_numerique and status["2A0001004"].sources == ("declaration",)
    assert is_embarked(db_session, "2A0001004", campaign.id)
    assert not is_embarked(db_session, "970401005", campaign.id)
    assert not is_embarked(db_session, "2A0001004")  # without the campaign: lists only
