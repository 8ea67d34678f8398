"""Issue 11, hole 3 (uploads): a workbook holding formula cells is read with their cached
values (as Excel saves them), or refused with a French message naming the cell when a
formula was never calculated; it never crashes the preview."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from matchmaker.declarations.services import current_declarations
from matchmaker.imports.declarations import import_declarations
from matchmaker.models import Campaign
from tests.support.files import write_xlsx

pytestmark = pytest.mark.usefixtures("finess", "referential")

HEADER = ["finess_et", "editeur", "statut_dui"]


def test_a_formula_without_cached_value_is_refused_naming_the_cell(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "declarations.xlsx",
        [HEADER, ["010001001", '=HYPERLINK("http://evil.example";"x")', "=1+1"]],
    )
    with pytest.raises(ImportRefused) as refused:
        import_declarations(db_session, path, campaign, dry_run=True)
    message = refused.value.message
    assert "cellule B2" in message and "Feuil1" in message and "formule" in message


def test_a_formula_with_its_cached_value_reads_the_value(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    source = write_xlsx(tmp_path / "source.xlsx", [HEADER, ["010001001", "=A1", "Référencé"]])
    path = tmp_path / "declarations.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(path, "w") as target:
        for item in archive.infolist():
            data = archive.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                text, found = re.subn(
                    r'<c r="B2"><f>A1</f><v\s*/?>(</v>)?</c>',
                    '<c r="B2" t="str"><f>A1</f><v>Aurore Informatique</v></c>',
                    text,
                )
                assert found == 1, text
                data = text.encode("utf-8")
            target.writestr(item, data)
    summary = import_declarations(db_session, path, campaign)
    assert summary.blocking == []
    assert current_declarations(db_session, campaign.id)["010001001"].editor_raw == (
        "Aurore Informatique"
    )
