"""The spreadsheet reader: encodings, separators, header aliases, real line numbers,
content sniffing."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.errors import ImportRefused
from importers.spreadsheets import Column, header_key, read_table, sniff_delimiter
from tests.support.files import write_csv, write_excel_style_xlsx, write_xlsx

COLUMNS = (
    Column("finess_et", ("N° FINESS", "numéro finess"), required=True),
    Column("editeur", ("Éditeur DUI", "Logiciel")),
    Column("statut_dui", ("Statut du DUI",)),
)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("N° FINESS", "nfiness"),
        ("n_finess", "nfiness"),
        ("Éditeur  DUI", "editeurdui"),
        ("EDITEUR-DUI", "editeurdui"),
        ("statut_dui", "statutdui"),
    ],
)
def test_header_keys_ignore_case_accents_spaces_punctuation(header: str, key: str) -> None:
    assert header_key(header) == key


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ";"), ("utf-8-sig", ","), ("cp1252", ";"), ("latin-1", "\t"), ("utf-16", "\t")],
)
def test_csv_encodings_and_separators(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [
            ["N° FINESS", "Éditeur DUI", "Statut du DUI"],
            ["010001001", "Écrin Numérique", "Référencé"],
        ],
        encoding=encoding,
        delimiter=delimiter,
    )
    table = read_table(path, COLUMNS)
    (row,) = list(table.rows)
    assert table.delimiter == delimiter
    assert table.headers == {
        "finess_et": "N° FINESS",
        "editeur": "Éditeur DUI",
        "statut_dui": "Statut du DUI",
    }
    assert row.cells == {
        "finess_et": "010001001",
        "editeur": "Écrin Numérique",
        "statut_dui": "Référencé",
    }
    assert row.line == 2


def test_csv_title_blank_lines_multiline_cells_and_trailing_columns(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "Enquête 2026;;\n\nLogiciel;N° FINESS;;;\n"
        '"Dauphin\nSystèmes";010001001;;x;\n;;;\n'
        "Vigie;690001003;;;\n",
        encoding="utf-8",
    )
    table = read_table(path, COLUMNS)
    rows = list(table.rows)
    assert table.header_line == 3
    assert [(row.line, row.cells["finess_et"]) for row in rows] == [
        (4, "010001001"),
        (7, "690001003"),
    ]
    assert rows[0].cells["editeur"] == "Dauphin\nSystèmes"
    assert "statut_dui" not in table.headers


def test_xlsx_numbers_titles_and_line_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "f.xlsx",
        [
            ["Titre"],
            [],
            ["Logiciel", "N° FINESS"],
            ["Vigie", 10001001],
            [],
            [None, None],
            ["Nacre", "2A0001004"],
        ],
    )
    table = read_table(path, COLUMNS)
    rows = list(table.rows)
    assert (table.kind, table.header_line) == ("xlsx", 3)
    assert [(row.line, row.cells["finess_et"]) for row in rows] == [(4, 10001001), (7, "2A0001004")]


def test_xlsx_header_on_a_later_sheet(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(["Lisez-moi"])
    second = workbook.create_sheet("Données")
    second.append(["finess_et"])
    second.append(["010001001"])
    workbook.save(tmp_path / "f.xlsx")
    table = read_table(tmp_path / "f.xlsx", COLUMNS)
    assert table.sheet == "Données"
    assert [row.cells["finess_et"] for row in table.rows] == ["010001001"]


def test_missing_required_column_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["Logiciel", "Statut du DUI"], ["Vigie", "aucun"]])
    with pytest.raises(ImportRefused, match="en-tête introuvable") as refused:
        read_table(path, COLUMNS)
    assert refused.value.errors[0].found == "Logiciel | Statut du DUI"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "97-2003"),
        (b"PK\x03\x04 not really a workbook", "xlsx"),
        (b"%PDF-1.4\x00\x01\x02", "binaire"),
    ],
)
def test_content_not_extension_decides(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "declarations.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRefused, match=message):
        read_table(path, COLUMNS)


def test_sniff_delimiter() -> None:
    assert sniff_delimiter(["a;b;c", "1;2,5;3"]) == ";"
    assert sniff_delimiter(["a,b,c"]) == ","
    assert sniff_delimiter(["seul"]) == ";"


def test_xlsx_cell_types_and_gaps(tmp_path: Path) -> None:
    """Shared strings, numbers, booleans, dates, empty cells and rows, as openpyxl's
    ``values_only`` would give them."""
    from datetime import datetime

    columns = (*COLUMNS, Column("annee"), Column("porteur"), Column("note"))
    path = write_xlsx(
        tmp_path / "f.xlsx",
        [
            ["N° FINESS", "Logiciel", "annee", "porteur", "note"],
            ["010001001", None, datetime(2024, 3, 1), True, 2.5],
            [],
            [10001002, "Écrin & Cie <SA>", 2023, False, None],
        ],
    )
    rows = list(read_table(path, columns).rows)
    assert [row.line for row in rows] == [2, 4]
    assert rows[0].cells == {
        "finess_et": "010001001",
        "editeur": None,
        "annee": datetime(2024, 3, 1),
        "porteur": True,
        "note": 2.5,
    }
    assert rows[1].cells["editeur"] == "Écrin & Cie <SA>"
    assert (rows[1].cells["finess_et"], rows[1].cells["annee"]) == (10001002, 2023)
    assert rows[1].cells["porteur"] is False


def test_excel_saved_workbook_with_shared_strings_and_dates(tmp_path: Path) -> None:
    from datetime import datetime

    columns = (*COLUMNS, Column("annee"), Column("porteur"))
    path = write_excel_style_xlsx(
        tmp_path / "excel.xlsx",
        [
            ["Enquête DUI — Ain & Rhône <2026>"],
            [],
            ["N° FINESS", "Éditeur DUI", "Statut du DUI", "annee", "porteur"],
            [10001001, "Aurore Informatique", "Référencé Ségur", datetime(2024, 5, 2), True],
            ["2A0001004", "Aurore Informatique", None, 2023, False],
            [],
            [690001003, None, "aucun"],
        ],
    )
    table = read_table(path, columns)
    rows = list(table.rows)
    assert (table.sheet, table.header_line) == ("Réponses", 3)
    assert [row.line for row in rows] == [4, 5, 7]
    assert rows[0].cells == {
        "finess_et": 10001001,
        "editeur": "Aurore Informatique",
        "statut_dui": "Référencé Ségur",
        "annee": datetime(2024, 5, 2),
        "porteur": True,
    }
    assert rows[1].cells["statut_dui"] is None and rows[1].cells["porteur"] is False
    assert rows[2].cells == {
        "finess_et": 690001003,
        "editeur": None,
        "statut_dui": "aucun",
        "annee": None,
        "porteur": None,
    }
