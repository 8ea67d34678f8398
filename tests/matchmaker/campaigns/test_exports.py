"""Exports in French: the files open with openpyxl (or as CSV) and hold the right rows."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.campaigns.dossier import MEMBER_COLUMNS
from matchmaker.campaigns.exports import ENGAGED_COLUMNS, LEFT_OUT_COLUMNS
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def download(client: CsrfClient, url: str, suffix: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'.{suffix}"')
    # the files hold contacts' personal data: no browser or proxy cache keeps a copy
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data()


def test_the_grappe_workbook_lists_the_engaged_structures(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    data = download(
        client,
        f"/console/campagnes/{desk.campaign.id}/grappes/{desk.alpha.id}/export.xlsx",
        "xlsx",
    )
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == [
        "Porteur",
        "Structures engagées",
        "Réponses des OG",
        "Financement",
        "Recevabilité",
    ]
    rows = list(book["Structures engagées"].iter_rows(values_only=True))
    assert rows[0] == MEMBER_COLUMNS
    column = {name: index for index, name in enumerate(MEMBER_COLUMNS)}
    assert {row[0] for row in rows[1:]} == {m.finess_et for m in desk.alpha.members}
    carrier_rows = [row for row in rows[1:] if row[column["Porteur"]] == "oui"]
    assert {row[column["FINESS EJ"]] for row in carrier_rows} == {desk.alpha.carrier_ej}
    assert all(row[column["Éditeur de la grappe"]] == "Alpha Santé" for row in rows[1:])
    funding = {row[0]: row[3] for row in book["Financement"].iter_rows(values_only=True)}
    assert funding["Total estimé"] > 0
    checklist = list(book["Recevabilité"].iter_rows(values_only=True))
    assert [row[0] for row in checklist[1:]] == list(range(1, 11))


def test_the_grappe_csv_is_french_excel_ready(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    data = download(
        client, f"/console/campagnes/{desk.campaign.id}/grappes/{desk.beta.id}/export.csv", "csv"
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == ENGAGED_COLUMNS
    assert len(rows) == 1 + 15


def test_the_run_workbook_holds_every_proposal_and_every_left_out(
    client: CsrfClient, desk: Desk
) -> None:
    login(client, desk.owner)
    data = download(
        client,
        f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/export.xlsx",
        "xlsx",
    )
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["Grappes", "Propositions", "Écartés"]
    summary = list(book["Grappes"].iter_rows(values_only=True))
    assert [(row[0], row[1], row[2]) for row in summary[1:]] == [
        (1, "Alpha Santé", 16),
        (2, "Beta Soft", 15),
    ]
    proposals = list(book["Propositions"].iter_rows(values_only=True))
    assert len(proposals) == 1 + 31
    assert {row[1] for row in proposals[1:]} == {
        m.finess_et for g in (desk.alpha, desk.beta) for m in g.members
    }
    left = list(book["Écartés"].iter_rows(values_only=True))
    assert left[0] == LEFT_OUT_COLUMNS
    by_finess = {row[0]: row for row in left[1:]}
    assert set(by_finess) == {desk.gamma_essms.finess_et, desk.free_essms.finess_et}
    gamma = by_finess[desk.gamma_essms.finess_et]
    assert gamma[7] == "Trop peu d'ESSMS de l'éditeur Gamma Info à proximité."
    assert gamma[8] == "Grappe n° 1 à 20 km si l'éditeur était libre."
    assert gamma[6] == "Gamma Info"


def test_the_run_csv_has_one_line_per_candidate(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    data = download(
        client, f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/export.csv", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 33
    situations = [row["Situation"] for row in rows]
    assert situations.count("proposé") == 31 and situations.count("écarté") == 2
    free = next(row for row in rows if row["FINESS ET"] == desk.free_essms.finess_et)
    assert free["Motif"] == "Aucune grappe assez proche."
