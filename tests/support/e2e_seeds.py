"""What the browser tests put in the live server's database: the organisation journey's
Bretagne (two OG, a campaign, a stored run) and the ARS desk's Occitanie; logging in through
the login page."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from importers.editor_names import normalise_name
from matchmaker.auth import services as auth_services
from matchmaker.models import (
    ApprovalStatus,
    Campaign,
    Editor,
    Embarkation,
    Establishment,
    Grappe,
    GrappeMember,
    Organisation,
    Role,
    Solution,
    SolverRun,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.campaigns import CampaignOwner

PASSWORD = "un-mot-de-passe-solide"
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
    session.add_all(
        [
            Organisation(
                finess_ej="350000001",
                name="ASSOCIATION ALPHA",
                email_domain="alpha.fr",
                siret="12345678900011",
                essms_count=2,
            ),
            Organisation(finess_ej="350000002", name="ASSOCIATION BETA", essms_count=2),
        ]
    )
    session.flush()
    for finess_et, finess_ej, name, commune, lat, lon in ESSMS:
        session.add(
            Establishment(
                finess_et=finess_et,
                finess_ej=finess_ej,
                short_name=name,
                long_name=name,
                commune=commune,
                department="35",
                region="53",
                latitude=lat,
                longitude=lon,
                champ="PA",
                is_essms=True,
                is_open=True,
            )
        )
    editor = Editor(name="Acme Santé", key=normalise_name("Acme Santé"))
    session.add(editor)
    session.flush()
    session.add(
        Solution(editor_id=editor.id, name="Acme DUI", key="acme dui", reference_segur=True)
    )
    session.add(
        Campaign(name="Bretagne 2026", region="53", status="open", closes_on=date(2099, 12, 31))
    )
    session.commit()


def store_run(session: Session) -> tuple[int, int, int]:
    """A finished solver run of the campaign, not yet published (what the collectif's
    console stores after a solve), and the collectif user who runs the campaign."""
    campaign = session.scalar(select(Campaign))
    assert campaign is not None
    collectif = User(
        email=COLLECTIF_EMAIL,
        role=Role.COLLECTIF,
        region="53",
        password_hash=generate_password_hash(PASSWORD),
        email_confirmed_at=utcnow(),
        approval_status=ApprovalStatus.APPROVED,
    )
    session.add(collectif)
    session.flush()
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
    session.add(Organisation(finess_ej="090000001", name="ASSOCIATION ARIEGE", essms_count=6))
    session.flush()
    places = [(f"09000010{i}", "09", 42.96 + i * 0.001, 1.60) for i in range(1, 6)]
    places.append(("310000101", "31", 43.60, 1.44))
    for finess_et, department, latitude, longitude in places:
        session.add(
            Establishment(
                finess_et=finess_et,
                finess_ej="090000001",
                short_name=f"EHPAD {finess_et}",
                department=department,
                region="76",
                latitude=latitude,
                longitude=longitude,
                champ="PA",
                is_essms=True,
                is_open=True,
                commune="FOIX",
                phone="0561000000",
            )
        )
    session.flush()
    session.add(Embarkation(finess_et="090000101", scheme="esms_numerique"))
    session.add(Embarkation(finess_et="090000102", scheme="sons"))
    auth_services.create_user(
        session, email=ARS_EMAIL, password=PASSWORD, role=Role.ARS, region="76"
    )
    session.commit()
