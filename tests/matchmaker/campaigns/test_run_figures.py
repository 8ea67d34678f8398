"""The run page's counts add up, and « Petits OG » says the same thing on the page and in
the workbook (issue 12, « also »)."""

from __future__ import annotations

import html
import io
import re

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.campaigns import figures
from matchmaker.grappes import read_model
from matchmaker.grappes.candidates import ALREADY_FUNDED
from matchmaker.models import Exclusion
from tests.factories import make_establishment, make_organisation
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def _set_aside_one(session: Session, desk: Desk) -> None:
    funded = make_establishment(session, make_organisation(session), department="35")
    session.add(
        Exclusion(
            run_id=desk.run.id,
            finess_et=funded.finess_et,
            reason_code=ALREADY_FUNDED,
            reason="Déjà financé par ESMS numérique.",
        )
    )
    session.flush()
    session.refresh(desk.run)


def test_the_counts_of_a_run_add_up(client: CsrfClient, db_session: Session, desk: Desk) -> None:
    _set_aside_one(db_session, desk)
    figure = figures.run_figures(desk.run, read_model.member_counts(db_session, desk.run))
    assert (figure.considered, figure.set_aside, figure.candidates) == (34, 1, 33)
    assert (figure.covered, figure.not_placed, figure.unexplained) == (31, 2, 0)
    assert figure.left_out == figure.set_aside + figure.not_placed == 3

    login(client, desk.owner)
    page = html.unescape(
        client.get(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}").get_data(
            as_text=True
        )
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "34 ESSMS considérés = 1 écartés avant le calcul + 33 candidats" in text
    assert "33 candidats = 31 en grappe + 2 non placés" in text
    assert "ESSMS écartés (3 : 2 candidats non placés, 1 écartés avant le calcul)" in text


def test_small_og_reads_the_same_on_the_page_and_in_the_workbook(
    client: CsrfClient, desk: Desk
) -> None:
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    page = client.get(base).get_data(as_text=True)
    header = re.findall(r'<th scope="col">([^<]*)</th>', page)
    column = header.index("Petits OG")
    rows = re.findall(r"<tr>\s*<td><a[^>]*>n° (\d+)</a>(.*?)</tr>", page, re.S)
    cells = {
        int(number): re.findall(r"<td>(.*?)</td>", rest, re.S)[column - 1] for number, rest in rows
    }
    book = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx").data), read_only=True)
    summary = list(book["Grappes"].iter_rows(values_only=True))
    position = summary[0].index("Petits OG")
    assert {row[0]: str(row[position]) for row in summary[1:]} == cells
    assert cells == {1: "16", 2: "15"}
