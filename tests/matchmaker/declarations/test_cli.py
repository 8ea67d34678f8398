"""The commands: thin wrappers that commit once and print French summaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.synthetic_declarations import synthetic_referential, write_referential_csv
from matchmaker.declarations.services import current_declarations, find_campaign
from matchmaker.models import Declaration, EditorMatch
from tests.support.files import write_csv

pytestmark = pytest.mark.usefixtures("finess")


@pytest.fixture
def editors_file(tmp_path: Path) -> Path:
    return write_referential_csv(tmp_path / "editeurs.csv", synthetic_referential())


def test_import_editors_then_declarations_then_review(
    runner: FlaskCliRunner, db_session: Session, editors_file: Path, tmp_path: Path
) -> None:
    result = runner.invoke(args=["import-editors", str(editors_file)])
    assert result.exit_code == 0, result.output
    assert "ligne(s) créé(e)s" in result.output

    declarations = write_csv(
        tmp_path / "decl.csv",
        [
            ["N° FINESS", "Éditeur DUI", "Statut du DUI", "Courriel"],
            ["010001001", "Aurore Informatique", "Référencé Ségur", ""],
            ["010001002", "Le logiciel T", "Non référencé", ""],
            ["010001011", "Vigie", "", "pas-un-mail"],
        ],
    )
    result = runner.invoke(
        args=["import-declarations", str(declarations), "--campaign", "Ain 2026", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "elle serait créée" in result.output
    assert "simulation, rien n'a été écrit" in result.output
    assert find_campaign(db_session, "Ain 2026") is None

    result = runner.invoke(
        args=["import-declarations", str(declarations), "--campaign", "Ain 2026"]
    )
    assert result.exit_code == 0, result.output
    assert "elle a été créée" in result.output
    assert "2 déclaration(s) créé(e)s" in result.output
    assert "ligne 4, colonne « N° FINESS »" in result.output
    assert "numéros proches : 010001001" in result.output
    assert "colonne « Courriel »" in result.output
    assert "decl.rejets.csv" in result.output
    campaign = find_campaign(db_session, "Ain 2026")
    assert campaign is not None and len(current_declarations(db_session, campaign.id)) == 2

    result = runner.invoke(args=["editors", "review"])
    assert "Le logiciel T" in result.output
    match = db_session.scalar(select(EditorMatch))
    assert match is not None
    result = runner.invoke(
        args=["editors", "review", "--confirm", str(match.id), "--editor", "Tilleul Logiciel"]
    )
    assert result.exit_code == 0, result.output
    assert "désormais reconnu comme « Tilleul Logiciel »" in result.output
    assert "Aucun nom d'éditeur à vérifier" in runner.invoke(args=["editors", "review"]).output
    result = runner.invoke(args=["editors", "review", "--reject", "999"])
    assert result.exit_code != 0 and "Aucune correspondance" in result.output


def test_strict_import_fails_and_writes_nothing(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [["finess_et", "statut_dui"], ["010001001", "???"], ["010001002", "aucun"]],
    )
    result = runner.invoke(args=["import-declarations", str(path), "--campaign", "C", "--strict"])
    assert result.exit_code == 1
    assert "fichier refusé" in result.output.lower()
    assert "aucun, non_reference, reference_segur" in result.output
    assert db_session.scalar(select(func.count()).select_from(Declaration)) == 0
    assert find_campaign(db_session, "C") is None
    # Issue 12: it said « elle est créée » although nothing was written.
    assert "elle est créée" not in result.output
    assert "elle n'a pas été créée" in result.output


def test_template_and_embarked_commands(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(args=["template", "declarations", "--out", str(tmp_path / "m.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "m.xlsx").exists()
    path = write_csv(
        tmp_path / "liste.csv", [["finess_et", "dispositif"], ["010001001", "esms_numerique"]]
    )
    result = runner.invoke(args=["import-embarked", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 ligne(s) créé(e)s" in result.output
