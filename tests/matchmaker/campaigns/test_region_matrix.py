"""Issue 11: every route reading or writing a campaign, a declaration or an establishment,
checked with an account of the wrong region (collectif and ARS of Normandie, 28, against
the desk's campaign of Bretagne, 53). The console's routes are enumerated from the app, so
a new route is checked without editing this table."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.jobs import services as jobs
from matchmaker.models import Role, Upload
from tests.factories import make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk

WRONG_REGION = "28"


def console_urls(app: Flask, desk: Desk, upload_id: int) -> list[tuple[str, str]]:
    """(method, path) of every console route about one campaign."""
    adapter = app.url_map.bind("localhost")
    values = {
        "campaign_id": desk.campaign.id,
        "run_id": desk.run.id,
        "grappe_id": desk.alpha.id,
        "upload_id": upload_id,
        "fmt": "csv",
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("campaigns.") or "campaign_id" not in rule.arguments:
            continue
        path = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


@pytest.mark.parametrize("role", [Role.COLLECTIF, Role.ARS])
def test_an_account_of_another_region_reaches_nothing_of_the_campaign(
    app: Flask, client: CsrfClient, db_session: Session, desk: Desk, role: Role
) -> None:
    upload = Upload(
        campaign_id=desk.campaign.id,
        kind="declarations",
        original_name="d.csv",
        stored_name="campagne-0/matrix.csv",
        size_bytes=1,
        sha256="0" * 64,
        detected_format="csv",
        status="previewed",
        preview={"counts": [], "errors": []},
    )
    db_session.add(upload)
    job = jobs.enqueue(
        db_session,
        "campaign.preview_upload",
        {"upload_id": 0},
        desk.owner,
        campaign_id=desk.campaign.id,
    )
    db_session.commit()
    login(client, make_user(db_session, role, region=WRONG_REGION))
    essms = desk.alpha.members[0]
    urls = [
        *console_urls(app, desk, upload.id),
        ("GET", f"/jobs/{job.id}"),
        ("POST", f"/jobs/{job.id}/annuler"),
        ("GET", f"/organismes/{essms.finess_ej}"),
        ("GET", f"/essms/{essms.finess_et}/historique"),
        ("GET", f"/essms/{essms.finess_et}/voisins"),
        ("GET", f"/mes-grappes/{desk.alpha.id}"),
        ("POST", f"/mes-grappes/{desk.alpha.id}"),
        ("GET", f"/essms/{essms.finess_et}/declaration"),
        ("POST", f"/essms/{essms.finess_et}/declaration"),
        ("POST", f"/organismes/{essms.finess_ej}/interet"),
    ]
    if role == Role.ARS:
        urls += [
            ("GET", f"/ars/contacts/essms/{essms.finess_et}"),
            ("POST", f"/ars/contacts/essms/{essms.finess_et}"),
            ("GET", f"/ars/contacts/og/{essms.finess_ej}"),
        ]
    assert len(urls) > 25
    reached = {}
    for method, path in urls:
        response = client.get(path) if method == "GET" else client.post(path, data={})
        if response.status_code not in (403, 404):
            reached[(method, path)] = response.status_code
    assert reached == {}
    listing = client.get("/console/").get_data(as_text=True)
    assert desk.campaign.name not in listing
