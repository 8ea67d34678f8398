"""The review pages: the run's table, map and left-out; the grappe page; publication,
answers and « constituée »; campaign creation and life cycle; the audit log."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import adjust, maps, runs
from matchmaker.campaigns.services import CampaignError
from matchmaker.models import (
    AuditEvent,
    Campaign,
    CampaignOwner,
    Exclusion,
    GrappeAnswer,
    OutboxMail,
    Role,
)
from tests.factories import make_establishment, make_organisation, make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def test_the_run_page_shows_grappes_funding_checklist_and_left_out(
    client: CsrfClient, desk: Desk
) -> None:
    login(client, desk.owner)
    page = client.get(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "Alpha Santé" in text and "Beta Soft" in text
    assert "Trop peu d'ESSMS de l'éditeur Gamma Info" in text
    assert "Grappe n° 1 à 20 km si l'éditeur était libre." in text
    assert "€" in text
    assert "Relancer le calcul avec les décisions" in text


def test_the_map_draws_colours_centres_areas_and_left_out(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    page = client.get(base).get_data(as_text=True)
    assert "vendor/leaflet/leaflet.js" in page and "cdn." not in page
    assert f'data-map-source="{base}/carte.geojson"' in page
    assert 'data-map-filters="filtres-carte"' in page
    assert '<option value="Alpha Santé">' in page and '<option value="Beta Soft">' in page
    data = client.get(f"{base}/carte.geojson").get_json()
    features = data["features"]
    colours = {f["properties"]["colour"] for f in features}
    assert {maps.colour_of(1), maps.colour_of(2), maps.LEFT_OUT_COLOUR} <= colours
    centres = [f["properties"] for f in features if f["properties"]["kind"] == "centre"]
    assert {c["label"] for c in centres} == {"Centre de la grappe n° 1", "Centre de la grappe n° 2"}
    assert {c["short"] for c in centres} == {"1", "2"}  # the number written at the centre
    left = [f["properties"] for f in features if f["properties"]["kind"] == "left-out"]
    assert left and any("Trop peu d" in line for p in left for line in p["lines"])
    assert data["meta"]["hulls"] and data["meta"]["group_labels"]
    legend = [entry["label"] for entry in data["meta"]["legend"]]
    assert any(label.startswith("Grappe n° 1 — Alpha Santé") for label in legend)


def test_the_grappe_page_shows_its_map_members_funding_and_checklist(
    client: CsrfClient, desk: Desk
) -> None:
    login(client, desk.owner)
    page = html.unescape(
        client.get(
            f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/grappes/{desk.beta.id}"
        ).get_data(as_text=True)
    )
    assert "Grappe n° 2 — Beta Soft" in page
    assert "Financement estimé" in page and "Total estimé" in page
    assert "Recevabilité" in page
    assert page.count("EHPAD BETA") >= 15
    assert "vendor/leaflet/leaflet.js" in page
    assert f"carte.geojson?grappe={desk.beta.id}" in page


def test_publish_then_constitute_once_every_og_accepted(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}"
    client.post(f"{base}/calculs/{desk.run.id}/publier")
    assert desk.run.published_at is not None
    assert desk.campaign.published_run_id == desk.run.id
    refused = client.post(f"{base}/grappes/{desk.beta.id}/constituee", follow_redirects=True)
    assert "ont accepté" in html.unescape(refused.get_data(as_text=True))
    assert desk.beta.status == "proposee"
    for ej in {m.finess_ej for m in desk.beta.members}:
        db_session.add(GrappeAnswer(grappe_id=desk.beta.id, finess_ej=ej, answer="accepte"))
    db_session.flush()
    page = html.unescape(client.get(f"{base}/calculs/{desk.run.id}").get_data(as_text=True))
    assert "15 ✓ / 0 ✗ sur 15" in page
    client.post(f"{base}/grappes/{desk.beta.id}/constituee")
    assert desk.beta.status == "constituee"
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"run.published", "grappe.constituted"} <= actions


def test_publishing_tells_the_representatives_of_the_ogs_concerned(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    member_ej = desk.beta.members[0].finess_ej
    concerned = make_user(db_session, Role.OG, email="dir@beta.fr", finess_ej=member_ej)
    outsider = make_user(db_session, Role.OG)
    db_session.commit()
    login(client, desk.owner)
    client.post(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/publier")
    mails = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [m.to for m in mails if "Grappes proposées" in m.subject] == [concerned.email]
    [notice] = [m for m in mails if m.to == concerned.email]
    assert f"grappe n° {desk.beta.number}" in notice.body
    assert "/mes-grappes" in notice.body
    assert outsider.email not in {m.to for m in mails}


def test_a_published_run_is_no_longer_adjusted(db_session: Session, desk: Desk) -> None:
    runs.publish(db_session, desk.owner, desk.campaign, desk.run)
    try:
        adjust.adjust(
            db_session,
            desk.owner,
            desk.campaign,
            desk.run,
            adjust.Adjustment("freeze", grappe_id=desk.alpha.id),
        )
    except CampaignError as error:
        assert "publié" in str(error)
    else:
        raise AssertionError("a published run was adjusted")


def test_a_collectif_user_creates_a_campaign_with_the_configured_defaults(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    form = client.get("/console/campagnes/nouvelle").get_data(as_text=True)
    assert 'value="15"' in form and 'value="49"' in form
    response = client.post(
        "/console/campagnes/nouvelle",
        data={
            "name": "Ille-et-Vilaine 2027",
            "region": "",
            "departments": "35, 22",
            "min_size": "15",
            "min_size_overseas": "8",
            "max_size": "49",
            "time_limit_s": "60",
        },
    )
    assert response.status_code == 302
    campaign = db_session.scalar(select(Campaign).where(Campaign.name == "Ille-et-Vilaine 2027"))
    assert campaign is not None
    assert campaign.departments == ["22", "35"] and campaign.status == "draft"
    assert campaign.solver_params["min_size"] == 15
    owner = db_session.scalar(select(CampaignOwner).where(CampaignOwner.campaign_id == campaign.id))
    assert owner is not None and owner.user_id == desk.owner.id
    # One open campaign per department (issue 11): the desk's campaign covers 35.
    client.post(
        f"/console/campagnes/{desk.campaign.id}/etat", data={"action": "close_declarations"}
    )
    client.post(f"/console/campagnes/{campaign.id}/etat", data={"action": "open"})
    assert campaign.status == "open"
    client.post(f"/console/campagnes/{campaign.id}/etat", data={"action": "archive"})
    assert campaign.status == "archived"
    log = html.unescape(
        client.get(f"/console/campagnes/{campaign.id}/journal").get_data(as_text=True)
    )
    assert f"créée par {desk.owner.email}" in log
    assert f"passée de « déclarations ouvertes » à « clôturée » par {desk.owner.email}" in log


def test_an_unknown_department_is_refused(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    page = client.post(
        "/console/campagnes/nouvelle",
        data={
            "name": "Mauvais périmètre",
            "region": "",
            "departments": "99",
            "min_size": "15",
            "min_size_overseas": "8",
            "max_size": "49",
            "time_limit_s": "60",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Périmètre inconnu" in page


def test_the_ars_reads_the_campaign_without_its_controls(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, make_user(db_session, Role.ARS, region="53"))
    base = f"/console/campagnes/{desk.campaign.id}"
    page = html.unescape(client.get(base).get_data(as_text=True))
    assert "Bretagne 2026" in page and "Calcul n° " in page
    assert "Lancer le calcul" not in page and "Déposer et vérifier" not in page
    run_page = html.unescape(client.get(f"{base}/calculs/{desk.run.id}").get_data(as_text=True))
    assert "Grappes proposées" in run_page
    assert "Publier aux organismes" not in run_page and "Appliquer" not in run_page


def test_an_owner_edits_the_campaign(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    url = f"/console/campagnes/{desk.campaign.id}/modifier"
    form = client.get(url).get_data(as_text=True)
    assert 'value="Bretagne 2026"' in form and 'value="35"' in form
    response = client.post(
        url,
        data={
            "name": "Bretagne 2026 — vague 2",
            "region": "53",
            "departments": "",
            "min_size": "16",
            "min_size_overseas": "8",
            "max_size": "40",
            "time_limit_s": "30",
            "max_distance_km": "80",
        },
    )
    assert response.status_code == 302
    assert desk.campaign.name == "Bretagne 2026 — vague 2"
    assert desk.campaign.departments == [] and desk.campaign.region == "53"
    assert desk.campaign.solver_params == {
        "min_size": 16,
        "min_size_overseas": 8,
        "max_size": 40,
        "time_limit_s": 30.0,
        "max_distance_km": 80.0,
    }


def test_the_run_page_reads_one_page_of_left_out_with_a_reason_filter(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    """Issue 14: a national run leaves thousands out; the page reads the counts per
    reason and one page of rows from the database, and filters by reason."""
    organisation = make_organisation(db_session, name="OG ÉCARTÉS")
    far = [make_establishment(db_session, organisation, department="09") for _ in range(130)]
    db_session.add_all(
        Exclusion(
            run_id=desk.run.id,
            finess_et=e.finess_et,
            reason_code="too_far",
            reason=f"Trop loin ({e.finess_et}).",
        )
        for e in far
    )
    db_session.flush()
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"

    def rows(url: str) -> list[str]:
        text = client.get(url).get_data(as_text=True)
        section = text.split('id="ecartes"', 1)[1].split("</table>", 1)[0]
        return re.findall(r"<tr><td>(\w+)</td>", section)

    page = html.unescape(client.get(base).get_data(as_text=True))
    assert "ESSMS écartés (132" in page
    assert "au-delà de la distance maximale acceptable (130)" in page
    assert "trop peu d'ESSMS compatibles à portée (1)" in page
    first, second = rows(base), rows(f"{base}?ecartes=2")
    assert len(first) == 100 and len(second) == 32 and not set(first) & set(second)
    # ordered by department: Ariège (09) before the desk's own
    assert first[0].startswith("09") and not second[-1].startswith("09")
    only_far = rows(f"{base}?motif=too_far&ecartes=2")
    assert len(only_far) == 30 and all(code.startswith("09") for code in only_far)
    assert rows(f"{base}?motif=too_few_peers") == [desk.gamma_essms.finess_et]
    assert len(rows(f"{base}?motif=inconnu")) == 100  # an unknown reason shows them all
