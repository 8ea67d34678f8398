"""Parse and validate run on a file and plain data, with no database: the rows of a
declarations file or an embarkation list checked against an ``EstablishmentIndex`` built by
hand, as ``matchmaker.imports`` builds it from the database before loading."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from importers import declarations, embarkation
from importers.declaration_columns import COLUMNS
from importers.errors import RowError
from importers.finess_lookup import EstablishmentIndex, EstablishmentRef
from importers.spreadsheets import read_table

INDEX = EstablishmentIndex.build(
    {
        "010000123": EstablishmentRef(
            "010000123", "010000900", "EHPAD Les Tilleuls", "01", "Bourg", "PA", True, True
        ),
        "690000456": EstablishmentRef(
            "690000456", "690000900", "Pharmacie du Rhône", "69", "Lyon", None, False, True
        ),
        "690000789": EstablishmentRef(
            "690000789", "690000900", "IME Fermé", "69", "Lyon", "PH", True, False
        ),
    },
    {"010000900": "Association de l'Ain", "690000900": "Fondation du Rhône"},
)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _declaration_errors(tmp_path: Path, row: list[str]) -> list[tuple[str | None, str, str]]:
    header = ["finess_et", "editeur", "departement", "statut_dui", "statut_sons"]
    table = read_table(_write(tmp_path / "declarations.csv", header, [row]), COLUMNS)
    rows, errors = declarations.parse(table)
    errors += declarations.validate(rows, INDEX, file=table.file, headers=table.headers)
    return [(error.column, error.severity, error.hint or error.expected) for error in errors]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["010000123", "Alpha", "01", "reference_segur", "aucun"], []),
        (
            ["010000124", "Alpha", "01", "aucun", "aucun"],
            [("finess_et", "error", "numéros proches : 010000123 (EHPAD Les Tilleuls, Bourg)")],
        ),
        (
            ["010000900", "Alpha", "01", "aucun", "aucun"],
            [
                (
                    "finess_et",
                    "error",
                    "FINESS juridique (EJ) de « Association de l'Ain » ; ses établissements : "
                    "010000123 (EHPAD Les Tilleuls, Bourg)",
                )
            ],
        ),
        (
            ["010000123", "Alpha", "69", "aucun", "aucun"],
            [("departement", "warning", "le département de FINESS est retenu")],
        ),
        (
            ["690000456", "Alpha", "69", "aucun", "aucun"],
            [
                (
                    "finess_et",
                    "warning",
                    "690000456 (Pharmacie du Rhône, Lyon) n'est pas un ESSMS dans FINESS",
                )
            ],
        ),
        (
            ["690000789", "Alpha", "69", "aucun", "aucun"],
            [("finess_et", "warning", "690000789 (IME Fermé, Lyon) est fermé dans FINESS")],
        ),
        (
            ["010000123", "", "01", "reference_segur", "aucun"],
            [("editeur", "error", "l'éditeur du DUI (statut DUI « reference_segur »)")],
        ),
    ],
    ids=["valid", "mistyped", "ej-for-et", "department", "not-essms", "closed", "dui-no-editor"],
)
def test_declaration_rows_checked_against_plain_finess_data(
    tmp_path: Path, row: list[str], expected: list[tuple[str | None, str, str]]
) -> None:
    assert _declaration_errors(tmp_path, row) == expected


def test_a_second_line_for_the_same_essms_is_an_error_naming_the_first(tmp_path: Path) -> None:
    header = ["finess_et", "editeur", "statut_dui"]
    rows = [["010000123", "Alpha", "aucun"], ["010000123", "Beta", "aucun"]]
    table = read_table(_write(tmp_path / "doublon.csv", header, rows), COLUMNS)
    parsed, errors = declarations.parse(table)
    assert errors == []
    assert declarations.validate(parsed, INDEX, file=table.file, headers=table.headers) == [
        RowError(
            "doublon.csv",
            3,
            "finess_et",
            "une seule ligne par ESSMS",
            "010000123",
            "error",
            "déjà déclaré ligne 2 (ligne conservée)",
        )
    ]


def test_an_embarkation_list_is_held_to_the_campaign_departments(tmp_path: Path) -> None:
    header = ["finess_et", "dispositif", "editeur"]
    rows = [["010000123", "ESMS numérique", "Alpha"], ["690000789", "SONS", ""]]
    table = read_table(_write(tmp_path / "embarques.csv", header, rows), embarkation.COLUMNS)
    parsed, errors, bad = embarkation.parse(table)
    assert (errors, bad) == ([], set())
    found = embarkation.validate(
        parsed, INDEX, file=table.file, headers=table.headers, departments=frozenset({"01"})
    )
    assert [(error.line, error.expected) for error in found] == [
        (3, "un ESSMS des départements de la campagne (01)"),
        (3, "l'éditeur de la commande SONS"),
    ]
