"""What the browser tests put in the live server's database: the organisation journey's
Bretagne (two OG, a campaign, a stored run) and the ARS desk's Occitanie; logging in through
the login page."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.editor_names import normalise_name
from matchmaker.models import (
    Campaign,
    Embarkation,
    Grappe,
    GrappeMember,
    Role,
    Solution,
    SolverRun,
)
from matchmaker.models.campaigns import CampaignOwner
from tests.factories import (
    make_campaign,
    make_editor,
    make_establishment,
    make_organisation,
    make_user,
)
from tests.helpers import PASSWORD

EMAIL = "directrice@alpha.fr"
COLLECTIF_EMAIL = "collectif@bretagne.fr"

#: (finess_et, finess_ej, name, commune, latitude, longitude)
ESSMS = [
    ("350000101", "350000001", "EHPAD LES TILLEULS", "RENNES", 48.11, -1.68),
    ("350000102", "350000001", "SSIAD ALPHA", "CESSON-SEVIGNE", 48.12, -1.60),
    ("350000201", "350000002", "EHPAD BETA", "BRUZ", 48.02, -1.75),
    ("350000202", "350000002", "FOYER BETA", "SAINT-MALO", 48.65, -2.01),
]


def seed(session: Session) -> None:
    alpha = make_organisation(
        session,
        "350000001",
        name="ASSOCIATION ALPHA",
        email_domain="alpha.fr",
        siret="12345678900011",
    )
    beta = make_organisation(session, "350000002", name="ASSOCIATION BETA")
    organisations = {og.finess_ej: og for og in (alpha, beta)}
    for finess_et, finess_ej, name, commune, lat, lon in ESSMS:
        make_establishment(
            session,
            organisations[finess_ej],
            finess_et=finess_et,
            short_name=name,
            long_name=name,
            commune=commune,
            department="35",
            region="53",
            latitude=lat,
            longitude=lon,
            category_code=None,
        )
    editor = make_editor(session, "Acme Santé", key=normalise_name("Acme Santé"))
    session.add(
        Solution(editor_id=editor.id, name="Acme DUI", key="acme dui", reference_segur=True)
    )
    make_campaign(session, "Bretagne 2026", region="53", closes_on=date(2099, 12, 31))
    session.commit()


def store_run(session: Session) -> tuple[int, int, int]:
    """A finished solver run of the campaign, not yet published (what the collectif's
    console stores after a solve), and the collectif user who runs the campaign."""
    campaign = session.scalar(select(Campaign))
    assert campaign is not None
    collectif = make_user(session, Role.COLLECTIF, email=COLLECTIF_EMAIL, region="53")
    session.add(CampaignOwner(campaign_id=campaign.id, user_id=collectif.id))
    run = SolverRun(
        campaign_id=campaign.id,
        status="succeeded",
        candidate_count=len(ESSMS),
        covered_count=len(ESSMS),
    )
    session.add(run)
    session.flush()
    grappe = Grappe(
        run_id=run.id,
        number=1,
        editor_name="Acme Santé",
        carrier_ej="350000001",
        carrier_reason="volontaire",
        centre_finess_et="350000101",
        centre_latitude=48.11,
        centre_longitude=-1.68,
        mean_km=25.0,
        max_km=68.0,
        og_count=2,
    )
    grappe.members = [
        GrappeMember(
            finess_et=et, finess_ej=ej, distance_km=float(i * 12), is_carrier=ej == "350000001"
        )
        for i, (et, ej, *_rest) in enumerate(ESSMS)
    ]
    session.add(grappe)
    session.commit()
    return campaign.id, run.id, grappe.id


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


ARS_EMAIL = "bureau@ars-occitanie.fr"


def seed_ars(session: Session) -> None:
    """Occitanie: 5 ESSMS near Foix (09), 2 of them embarked; 1 in Toulouse (31)."""
    ariege = make_organisation(session, "090000001", name="ASSOCIATION ARIEGE")
    places = [(f"09000010{i}", "09", 42.96 + i * 0.001, 1.60) for i in range(1, 6)]
    places.append(("310000101", "31", 43.60, 1.44))
    for finess_et, department, latitude, longitude in places:
        make_establishment(
            session,
            ariege,
            finess_et=finess_et,
            short_name=f"EHPAD {finess_et}",
            department=department,
            region="76",
            latitude=latitude,
            longitude=longitude,
            category_code=None,
            commune="FOIX",
            phone="0561000000",
        )
    session.add(Embarkation(finess_et="090000101", scheme="esms_numerique"))
    session.add(Embarkation(finess_et="090000102", scheme="sons"))
    make_user(session, Role.ARS, email=ARS_EMAIL, region="76")
    session.commit()
