"""The per-grappe « structures engagées » workbook carries what the funding dossier asks:
the carrier's SIRET and address, each member's FINESS ET and EJ, the EJ's legal name,
address and legal status, the current DUI and editor without contradiction, each OG's
answer, the funding lines."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.campaigns.dossier import ANSWER_COLUMNS, MEMBER_COLUMNS
from matchmaker.models import Declaration, GrappeAnswer, Organisation
from tests.helpers import CsrfClient, login
from tests.support.desk import SIRET, Desk

COLUMN = {name: index for index, name in enumerate(MEMBER_COLUMNS)}


def workbook(client: CsrfClient, desk: Desk, grappe_id: int):  # type: ignore[no-untyped-def]
    url = f"/console/campagnes/{desk.campaign.id}/grappes/{grappe_id}/export.xlsx"
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.get_data()), read_only=True)


def test_the_dossier_workbook(client: CsrfClient, db_session: Session, desk: Desk) -> None:
    grappe = desk.beta
    first, second = grappe.members[2], grappe.members[1]  # members[0] is the carrier
    og = db_session.get(Organisation, first.finess_ej)
    assert og is not None
    og.long_name = "ASSOCIATION GESTIONNAIRE DU BETA ZERO"
    og.address = "3 RUE DES LILAS 35000 RENNES"
    og.legal_status_label = "Association loi 1901 non reconnue d'utilité publique"
    carrier = db_session.get(Organisation, grappe.carrier_ej)
    assert carrier is not None
    carrier.address = "1 PLACE DU PORTEUR 35000 RENNES"
    # A member without DUI who prefers an editor: not « sans DUI » next to an editor.
    declaration = db_session.query(Declaration).filter_by(finess_et=second.finess_et).one()
    declaration.dui_status = "aucun"
    declaration.editor_raw = "Dauphin Systèmes"
    declaration.editor_id = None
    db_session.add(GrappeAnswer(grappe_id=grappe.id, finess_ej=first.finess_ej, answer="accepte"))
    db_session.flush()
    login(client, desk.owner)
    book = workbook(client, desk, grappe.id)

    carrier_sheet = dict(list(book["Porteur"].iter_rows(values_only=True))[1:])
    assert carrier_sheet["Porteur : SIRET"] == SIRET
    assert carrier_sheet["Porteur : adresse"] == "1 PLACE DU PORTEUR 35000 RENNES"
    assert carrier_sheet["Porteur : FINESS EJ"] == grappe.carrier_ej

    rows = {
        row[0]: row for row in list(book["Structures engagées"].iter_rows(values_only=True))[1:]
    }
    assert len(rows) == 15
    row = rows[first.finess_et]
    assert row[COLUMN["FINESS EJ"]] == first.finess_ej
    assert row[COLUMN["Raison sociale de l'EJ"]] == "ASSOCIATION GESTIONNAIRE DU BETA ZERO"
    assert row[COLUMN["Adresse de l'EJ"]] == "3 RUE DES LILAS 35000 RENNES"
    assert row[COLUMN["Statut juridique de l'EJ"]].startswith("Association loi 1901")
    assert row[COLUMN["Réponse de l'OG"]] == "acceptée"
    assert row[COLUMN["Éditeur du DUI actuel"]] == "Beta Soft"
    assert row[COLUMN["Département"]] == "Ille-et-Vilaine (35)"
    preferring = rows[second.finess_et]
    assert preferring[COLUMN["DUI actuel"]] == "sans DUI"
    assert preferring[COLUMN["Éditeur du DUI actuel"]] in (None, "")
    assert preferring[COLUMN["Éditeur souhaité (sans DUI)"]] == "Dauphin Systèmes"
    for each in rows.values():
        if each[COLUMN["DUI actuel"]] == "sans DUI":
            assert not each[COLUMN["Éditeur du DUI actuel"]]

    answers = list(book["Réponses des OG"].iter_rows(values_only=True))
    assert answers[0] == ANSWER_COLUMNS
    by_og = {row[0]: row for row in answers[1:]}
    assert by_og[first.finess_ej][3] == "acceptée"
    assert by_og[second.finess_ej][3] == "en attente"
    funding = {row[0]: row[3] for row in book["Financement"].iter_rows(values_only=True)}
    assert funding["Total estimé"] > 0
