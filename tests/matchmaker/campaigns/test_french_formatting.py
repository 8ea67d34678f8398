"""Numbers on the console's pages and in its CSV exports follow French conventions:
decimal commas, « 556 000 € », « 12,3 km », « 76,7 % » (formatted by matchmaker.formatting)."""

from __future__ import annotations

import csv
import html
import io
import re

from sqlalchemy.orm import Session

from matchmaker.models import Job
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk

#: A number written with a decimal point, as a French reader never writes it.
DECIMAL_POINT = re.compile(r"(?<![\w.#/-])\d+\.\d+(?![\w.])")


def visible_text(page: str) -> str:
    """The page's text without scripts, styles and tags (what a reader sees)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def test_the_grappe_page_writes_distances_and_amounts_the_french_way(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    url = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/grappes/{desk.alpha.id}"
    page = client.get(url).get_data(as_text=True)
    text = visible_text(page)
    assert re.search(r"\d+,\d\u00a0km", text), "distances use a decimal comma"
    assert re.search(r"\d{1,3}(\u202f\d{3})+\u00a0€", text), "amounts group thousands"
    assert not DECIMAL_POINT.findall(text)


def test_the_run_page_writes_no_decimal_point(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    page = client.get(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}")
    assert page.status_code == 200
    assert not DECIMAL_POINT.findall(visible_text(page.get_data(as_text=True)))


def test_the_csv_export_uses_semicolons_and_decimal_commas(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    url = f"/console/campagnes/{desk.campaign.id}/grappes/{desk.alpha.id}/export.csv"
    text = client.get(url).get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    distance = rows[0].index("Distance au centre (km)")
    values = [row[distance] for row in rows[1:]]
    assert any("," in value for value in values), values
    assert not any("." in value for value in values), values


def test_a_run_whose_job_is_done_does_not_say_it_waits(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    """A run still marked « queued » whose job succeeded reads « terminé »."""
    desk.run.status = "queued"
    job = Job(
        kind="campaign.solve",
        status="succeeded",
        progress=1.0,
        params={"run_id": desk.run.id},
        campaign_id=desk.campaign.id,
    )
    db_session.add(job)
    db_session.flush()
    desk.run.job_id = job.id
    db_session.flush()
    login(client, desk.owner)
    page = client.get(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}")
    lead = " ".join(visible_text(page.get_data(as_text=True)).split())
    assert "État : terminé" in lead and "État : en attente" not in lead
