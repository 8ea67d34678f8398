"""The declaration template: canonical columns, drop-down lists, help sheet; and a filled
template imports as is."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session

from importers.declaration_template import CANONICAL, write_template
from matchmaker.imports.declarations import import_declarations
from matchmaker.models import Campaign

EXPECTED = (
    "finess_et",
    "editeur",
    "champ",
    "departement",
    "statut_dui",
    "statut_sons",
    "editeur_sons",
    "porteur_volontaire",
    "deja_finance_esms_numerique",
    "email_contact",
    "commentaire",
)


def test_csv_template(tmp_path: Path) -> None:
    path = write_template(tmp_path / "modele.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig") as handle:
        assert tuple(next(csv.reader(handle, delimiter=";"))) == EXPECTED == CANONICAL


def test_xlsx_template_has_lists_and_help(tmp_path: Path) -> None:
    path = write_template(tmp_path / "modele.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["declarations"]
    assert tuple(cell.value for cell in sheet[1]) == EXPECTED
    lists = {
        str(validation.sqref).split(":")[0]: validation.formula1
        for validation in sheet.data_validations.dataValidation
    }
    assert lists == {
        "C2": '"PA,PH,DOM,PDS,PDE,AHI,PJM"',
        "E2": '"aucun,non_reference,reference_segur"',
        "F2": '"aucun,commande,realise"',
        "H2": '"oui,non"',
        "I2": '"oui,non"',
    }
    assert sheet["A2"].number_format == "@"
    aide = workbook["aide"]
    described = {row[0].value: row[2].value for row in aide.iter_rows(min_row=2) if row[0].value}
    assert set(EXPECTED) <= set(described)
    assert "FINESS géographique" in described["finess_et"]


@pytest.mark.usefixtures("finess", "referential")
def test_filled_xlsx_template_imports(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_template(tmp_path / "modele.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["declarations"]
    sheet["A2"], sheet["B2"], sheet["E2"], sheet["H2"] = (
        "010001001",
        "Vigie",
        "reference_segur",
        "oui",
    )
    workbook.save(path)
    summary = import_declarations(db_session, path, campaign)
    assert (summary.created, summary.errors) == (1, [])
