"""Issue 11, hole 3: a declared editor or an organisation named like a formula comes out
as text, never as a live formula, in every export of the console (XLSX and CSV) and in an
upload's ``erreurs.csv``; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import Upload
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk

EVIL = '=HYPERLINK("http://evil.example";"x")'


def cells_of_workbook(data: bytes) -> list[tuple[object, str]]:
    book = load_workbook(io.BytesIO(data))
    return [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_console_exports_neutralise_formulas(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    desk.alpha.editor_name = EVIL
    desk.gamma_essms.organisation.name = "+33 evil"
    db_session.commit()
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}"
    for url in (
        f"{base}/calculs/{desk.run.id}/export.xlsx",
        f"{base}/grappes/{desk.alpha.id}/export.xlsx",
    ):
        cells = cells_of_workbook(client.get(url).get_data())
        assert not [c for c in cells if c[1] == "f"], url
        texts = [value for value, _ in cells if isinstance(value, str)]
        assert "'" + EVIL in texts, url
        assert not any(text.startswith(("=", "+", "-", "@")) for text in texts), url
        assert any(isinstance(value, (int, float)) for value, _ in cells), url
    for url in (
        f"{base}/calculs/{desk.run.id}/export.csv",
        f"{base}/grappes/{desk.alpha.id}/export.csv",
    ):
        text = client.get(url).get_data().decode("utf-8-sig")
        fields = [field for row in csv.reader(io.StringIO(text), delimiter=";") for field in row]
        assert "'" + EVIL in fields, url
        assert not any(field.startswith(("=", "+", "-", "@", "\t", "\r")) for field in fields), url


def test_the_errors_report_neutralises_formulas(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    upload = Upload(
        campaign_id=desk.campaign.id,
        kind="declarations",
        original_name="declarations.csv",
        stored_name="campagne-x/evil.csv",
        size_bytes=10,
        sha256="0" * 64,
        detected_format="csv",
        status="previewed",
        preview={
            "counts": [],
            "errors": [{"fichier": "=cmd|' /C calc'!A0", "ligne": "2", "trouve": EVIL}],
        },
    )
    db_session.add(upload)
    db_session.commit()
    login(client, desk.owner)
    response = client.get(f"/console/campagnes/{desk.campaign.id}/fichiers/{upload.id}/erreurs.csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and "'" + EVIL in rows[1]
