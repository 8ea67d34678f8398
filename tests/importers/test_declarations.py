"""Declarations import: messy real-world files, every error kind, dry run, strict mode,
idempotent re-import and history."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.declaration_template import CANONICAL
from importers.errors import ImportRefused
from matchmaker.declarations.services import current_declarations, declaration_history
from matchmaker.imports.declarations import import_declarations
from matchmaker.models import Campaign, Declaration, Editor, EditorMatch
from tests.support.files import write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("finess", "referential")

#: The canonical columns, in the template's order (pinned by test_declaration_template).
HEADER = list(CANONICAL)


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def editor_id(session: Session, name: str) -> int:
    editor = session.scalar(select(Editor).where(Editor.name == name))
    assert editor is not None
    return editor.id


def test_excel_questionnaire_with_french_headers(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    """An XLSX as a director returns it: a title, a blank line, French headers, FINESS
    numbers that lost their leading zero, values in any case, an extra column."""
    path = write_xlsx(
        tmp_path / "réponses.xlsx",
        [
            ["Enquête DUI 2026 — Ain"],
            [],
            [
                "N° FINESS",
                "Éditeur DUI",
                "Champ",
                "Département",
                "Statut du DUI",
                "Statut SONS",
                "Éditeur SONS",
                "Porteur volontaire ?",
                "Déjà financé ESMS numérique",
                "Courriel",
                "Remarques",
                "Colonne perso",
            ],
            [
                10001001,
                "AURORE INFORMATIQUE SAS",
                "pa",
                1,
                "Référencé Ségur",
                "Commandé",
                "",
                "Oui",
                "NON",
                "Directrice@Exemple.fr",
                "RAS",
                "x",
            ],
            [],
            [
                10001002,
                "Symphonie",
                "Domicile",
                "01",
                "non référencé",
                "aucun",
                "",
                "non",
                "non",
                "",
                None,
                None,
            ],
            [
                "690001003",
                "Berlioz  Logiciels",
                "PH",
                "69",
                "reference_segur",
                "",
                "",
                "o",
                "n",
                "",
                "",
                "",
            ],
        ],
    )
    summary = import_declarations(db_session, path, campaign)
    assert summary.blocking == []
    assert (summary.created, summary.changed, summary.unchanged) == (3, 0, 0)
    assert summary.ignored_headers == ["Colonne perso"]
    declarations = current_declarations(db_session, campaign.id)
    ain = declarations["010001001"]
    assert ain.editor_raw == "AURORE INFORMATIQUE SAS"
    assert ain.editor_id == editor_id(db_session, "Aurore Informatique")
    assert (ain.champ, ain.department, ain.dui_status) == ("PA", "01", "reference_segur")
    assert (ain.sons_status, ain.sons_editor_id) == ("commande", ain.editor_id)
    assert (ain.willing_carrier, ain.already_funded) == (True, False)
    assert ain.contact_email == "Directrice@exemple.fr"
    assert (ain.source_kind, ain.source_file, ain.source_line) == ("file", "réponses.xlsx", 4)
    ssiad = declarations["010001002"]
    assert ssiad.source_line == 6  # the blank line 5 is skipped, numbering is kept
    assert ssiad.editor_id == editor_id(db_session, "Berlioz Logiciels")  # product name
    assert (ssiad.champ, ssiad.dui_status) == ("DOM", "non_reference")
    assert declarations["690001003"].willing_carrier is True


def test_latin1_csv_with_semicolons(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "declarations.csv",
        [
            ["N° FINESS ET", "Logiciel", "Statut DUI", "Déjà financé", "E-mail"],
            ["010001001", "Médialis", "Référencé", "Non", "contact@ehpad.fr"],
            ["", "", "", "", ""],
            ["2A0001004", "Kermadec Édition", "NON REFERENCE", "oui", ""],
        ],
        encoding="latin-1",
    )
    summary = import_declarations(db_session, path, campaign)
    assert summary.errors == []
    declarations = current_declarations(db_session, campaign.id)
    assert declarations["010001001"].editor_id == editor_id(db_session, "Médialis")
    corse = declarations["2A0001004"]
    assert corse.editor_raw == "Kermadec Édition"
    assert (corse.dui_status, corse.already_funded, corse.source_line) == (
        "non_reference",
        True,
        4,
    )


def test_bom_csv_with_commas(db_session: Session, campaign: Campaign, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    write_csv(
        path,
        [
            HEADER,
            [
                "970401005",
                "Calypso Care",
                "PH",
                "974",
                "reference_segur",
                "realise",
                "Calypso Santé",
                "non",
                "non",
                "",
                "merci",
            ],
        ],
        encoding="utf-8-sig",
        delimiter=",",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    summary = import_declarations(db_session, path, campaign)
    assert summary.errors == []
    reunion = current_declarations(db_session, campaign.id)["970401005"]
    assert reunion.sons_status == "realise"
    assert reunion.sons_editor_id == editor_id(db_session, "Calypso Santé")
    assert reunion.comment == "merci"


def errors_by_line(summary: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for error in summary.errors:
        grouped.setdefault(error.line, []).append(error)
    return grouped


def test_every_error_kind_is_reported_with_line_column_value_and_expectation(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    rows = [
        HEADER,
        ["010001001", "Aurore DUI", "PA", "01", "reference_segur", "", "", "", "", "", ""],
        ["010001011", "Aurore DUI", "", "", "", "", "", "", "", "", ""],  # 3 unknown ET
        ["010000001", "", "", "", "", "", "", "", "", "", ""],  # 4 an EJ
        ["010001002", "Symphonie", "", "69", "", "", "", "", "", "", ""],  # 5 department
        ["690001003", "", "", "", "peut-être", "bientôt", "", "", "", "", ""],  # 6 statuses
        ["690001003", "Lumen", "", "", "", "", "", "", "", "", ""],  # 7 duplicate of 6?
        ["2A0001004", "", "", "", "", "commande", "", "", "", "", ""],  # 8 SONS, no editor
        ["970401005", "Lanterne", "", "", "", "", "", "peut-être", "", "jean@", ""],  # 9
        ["12345", "", "", "", "", "", "", "", "", "", ""],  # 10 not a FINESS number
        ["010001001", "Orbite", "", "", "", "", "", "", "", "", ""],  # 11 duplicate of 2
    ]
    path = write_csv(tmp_path / "erreurs.csv", rows)
    summary = import_declarations(db_session, path, campaign)
    errors = errors_by_line(summary)

    (unknown,) = errors[3]
    assert (unknown.column, unknown.found) == ("finess_et", "010001011")
    assert "010001001 (EHPAD Les Tilleuls, Bourg-en-Bresse)" in (unknown.hint or "")

    (ej,) = errors[4]
    assert "FINESS juridique (EJ)" in ej.expected
    assert "Association Les Tilleuls" in (ej.hint or "") and "010001001" in (ej.hint or "")

    (department,) = errors[5]
    assert department.severity == "warning"
    assert (department.column, department.found) == ("departement", "69")
    assert "01" in department.expected

    statuses = {error.column: error for error in errors[6]}
    assert statuses["statut_dui"].found == "peut-être"
    assert "aucun, non_reference, reference_segur" in statuses["statut_dui"].expected
    assert "aucun, commande, realise" in statuses["statut_sons"].expected

    (sons,) = errors[8]
    assert sons.column == "editeur_sons" and "SONS" in sons.expected

    columns = {error.column for error in errors[9]}
    assert columns == {"porteur_volontaire", "email_contact"}

    (not_finess,) = errors[10]
    assert "9 caractères" in not_finess.expected

    (duplicate,) = errors[11]
    assert "une seule ligne par ESSMS" in duplicate.expected
    assert "ligne 2" in (duplicate.hint or "")

    # Line 7 repeats 690001003 whose line 6 was rejected: still a duplicate.
    assert [error.expected for error in errors[7]] == ["une seule ligne par ESSMS"]
    # Valid rows load: line 2 and line 5 (a warning does not reject).
    assert summary.rejected == 8
    assert (summary.created, summary.changed, summary.unchanged) == (2, 0, 0)
    assert set(current_declarations(db_session, campaign.id)) == {"010001001", "010001002"}
    report = summary.report_path
    assert report is not None and report.name == "erreurs.rejets.csv"
    with report.open(encoding="utf-8-sig") as handle:
        lines = list(csv.DictReader(handle, delimiter=";"))
    assert len(lines) == len(summary.errors)
    assert {"fichier", "ligne", "colonne", "gravite", "attendu", "trouve"} <= set(lines[0])
    assert lines[0]["ligne"] == "3"


def test_non_essms_and_closed_establishments_are_warned(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [["finess_et", "editeur"], ["690001999", "Vigie"], ["010001098", "Vigie"]],
    )
    summary = import_declarations(db_session, path, campaign)
    assert summary.blocking == []
    hints = [error.hint or "" for error in summary.warnings]
    assert any("n'est pas un ESSMS" in hint for hint in hints)
    assert any("est fermé" in hint for hint in hints)
    assert summary.created == 2


def test_dry_run_writes_nothing(db_session: Session, campaign: Campaign, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [
            ["finess_et", "editeur"],
            ["010001001", "Vigie"],
            ["690001003", "Logiciel maison"],
            ["999999999", ""],
        ],
    )
    before = (count(db_session, Declaration), count(db_session, EditorMatch))
    summary = import_declarations(db_session, path, campaign, dry_run=True)
    assert (summary.created, summary.rejected, summary.dry_run) == (2, 1, True)
    assert (count(db_session, Declaration), count(db_session, EditorMatch)) == before
    assert summary.report_path is None and not (tmp_path / "d.rejets.csv").exists()


def test_strict_refuses_the_whole_file_and_leaves_the_database_unchanged(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [
            ["finess_et", "editeur", "statut_dui"],
            ["010001001", "Vigie", "reference_segur"],
            ["010001002", "Vigie", "n'importe quoi"],
        ],
    )
    before = (count(db_session, Declaration), count(db_session, EditorMatch))
    with pytest.raises(ImportRefused) as refused:
        import_declarations(db_session, path, campaign, strict=True)
    assert [error.line for error in refused.value.errors] == [3]
    assert (count(db_session, Declaration), count(db_session, EditorMatch)) == before
    assert (tmp_path / "d.rejets.csv").exists()


def test_reimport_is_idempotent_and_changes_supersede_with_history(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    rows = [
        ["finess_et", "editeur", "statut_dui", "porteur_volontaire"],
        ["010001001", "Vigie", "reference_segur", "non"],
        ["010001002", "Vigie", "reference_segur", "non"],
    ]
    path = write_csv(tmp_path / "v1.csv", rows)
    first = import_declarations(db_session, path, campaign)
    assert (first.created, first.changed, first.unchanged) == (2, 0, 0)
    again = import_declarations(db_session, path, campaign)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    assert count(db_session, Declaration) == 2

    rows[1][3] = "OUI"
    second = import_declarations(db_session, write_csv(tmp_path / "v2.csv", rows), campaign)
    assert (second.created, second.changed, second.unchanged) == (0, 1, 1)
    history = declaration_history(db_session, campaign.id, "010001001")
    assert len(history) == 2
    old, new = history
    db_session.refresh(old)
    assert (old.is_current, old.superseded_by_id, old.willing_carrier) == (False, new.id, False)
    assert (new.is_current, new.willing_carrier, new.source_file) == (True, True, "v2.csv")
    assert current_declarations(db_session, campaign.id)["010001001"].id == new.id


def test_unmatched_editor_names_are_queued_for_review_once(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [
            ["finess_et", "editeur"],
            ["010001001", "Logiciel maison"],
            ["010001002", "logiciel  MAISON"],
            ["690001003", "Aurore Informatique"],
        ],
    )
    summary = import_declarations(db_session, path, campaign)
    assert summary.extra["editeurs_reconnus"] == 1
    (match,) = db_session.scalars(select(EditorMatch)).all()
    assert (match.key, match.status, match.occurrences) == ("logiciel maison", "pending", 2)
    declarations = current_declarations(db_session, campaign.id)
    assert declarations["010001001"].editor_id is None
    import_declarations(db_session, path, campaign)  # re-import: nothing changes
    db_session.refresh(match)
    assert match.occurrences == 2


def test_file_kind_is_sniffed_not_trusted_from_extension(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    xlsx = write_xlsx(
        tmp_path / "vraiment.xlsx", [["finess_et", "editeur"], ["010001001", "Vigie"]]
    )
    disguised = xlsx.rename(tmp_path / "declarations.csv")
    summary = import_declarations(db_session, disguised, campaign)
    assert summary.created == 1
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(ImportRefused, match="97-2003"):
        import_declarations(db_session, tmp_path / "old.xls", campaign)
