"""Exports open with openpyxl (or the csv module) and hold the right rows."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import Role
from tests.helpers import Auth, CsrfClient
from tests.support.occitanie import World


def test_the_dashboard_workbook(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, form=True)
    response = client.get("/ars/tableau-de-bord.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [
        "Synthèse",
        "Par département",
        "Par champ",
        "Par statut juridique de l'OG",
        "Par taille d'OG",
        "Suivi des contacts",
    ]
    summary = list(workbook["Synthèse"].iter_rows(values_only=True))
    assert summary[0] == ("Périmètre", "Occitanie") + (None,) * 5
    assert summary[2][0] == "ESSMS éligibles"
    assert summary[3] == (10, 3, 2, 1, 4, 6, 0.4)
    departments = {
        row[0]: row for row in workbook["Par département"].iter_rows(min_row=2, values_only=True)
    }
    assert departments["09 Ariège"][1:7] == (6, 1, 0, 0, 1, 5)
    assert departments["09 Ariège"][7] == pytest.approx(1 / 6)
    assert departments["31 Haute-Garonne"][1] == 4
    sizes = list(workbook["Par taille d'OG"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1]) for row in sizes] == [
        ("1", 1),
        ("2 à 4", 3),
        ("5 à 14", 5),
        ("15 et plus", 1),
    ]


def test_a_department_workbook(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, form=True)
    response = client.get("/ars/tableau-de-bord.xlsx?departement=09")
    workbook = load_workbook(io.BytesIO(response.data))
    summary = list(workbook["Synthèse"].iter_rows(values_only=True))
    assert summary[0][:2] == ("Périmètre", "Ariège (09)")
    assert summary[3][0] == 6


def test_the_phoning_exports_hold_the_filtered_rows_in_priority_order(
    client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    workbook = load_workbook(io.BytesIO(client.get("/ars/non-embarques.xlsx").data))
    rows = list(workbook["Non embarqués"].iter_rows(values_only=True))
    assert rows[0][:10] == (
        "FINESS ET",
        "Nom",
        "FINESS EJ",
        "Organisme gestionnaire",
        "Adresse",
        "Code postal",
        "Commune",
        "Département",
        "Téléphone",
        "Champ",
    )
    assert "Score de priorité" in rows[0]
    assert [row[0] for row in rows[1:]] == [
        world.n3.finess_et,
        *[e.finess_et for e in world.c[1:]],
        world.b1.finess_et,
    ]
    first = rows[1]
    assert first[3] == "ASSOCIATION NORD" and first[8] == "0561000003" and first[13] == 4.0
    assert first[9] == "DOM — Domicile"

    response = client.get("/ars/non-embarques.csv?departement=09&champ=PA")
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][0] == "FINESS ET"
    assert [row[0] for row in table[1:]] == [e.finess_et for e in world.c[1:]]
    assert table[1][13] == "3,571"


def test_the_phoning_exports_neutralise_formulas(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    """Issue 11, hole 3: « Non embarqués » holds an OG named like a formula as text."""
    evil = '=HYPERLINK("http://evil.example";"x")'
    world.og_n.name = evil
    db_session.commit()
    auth.login(Role.ARS, form=True)
    workbook = load_workbook(io.BytesIO(client.get("/ars/non-embarques.xlsx").data))
    cells = [cell for row in workbook["Non embarqués"].iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "'" + evil in [cell.value for cell in cells]
    assert any(isinstance(cell.value, float) for cell in cells)  # the score stays a number
    text = client.get("/ars/non-embarques.csv").data.decode("utf-8-sig")
    fields = [field for row in csv.reader(io.StringIO(text), delimiter=";") for field in row]
    assert "'" + evil in fields and evil not in fields
