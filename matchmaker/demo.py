"""The demo's second half: editors, a campaign with its declarations, an embarkation list,
demo accounts and a first solver run, all on top of the synthetic FINESS import.

Everything is seeded: the same seed builds the same database (passwords aside, which are
random and printed once).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.synthetic_declarations import write_demo_declarations, write_demo_embarked
from matchmaker.auth.services import create_user
from matchmaker.campaigns.services import create_operator_campaign
from matchmaker.declarations.services import find_campaign
from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.embarkation import import_embarked
from matchmaker.imports.synthetic_declarations import load_demo_referential, open_essms
from matchmaker.models import (
    Campaign,
    CampaignOwner,
    Establishment,
    Grappe,
    GrappeMember,
    Organisation,
    Role,
    SolverRun,
    User,
)

#: The demo campaign covers the regions of the synthetic extract.
DEMO_CAMPAIGN = "Campagne de démonstration"


@dataclass
class DemoAccount:
    email: str
    role: Role
    password: str
    note: str = ""


@dataclass
class DemoOutcome:
    campaign: Campaign
    editors: int
    declarations: int
    rejected: int
    embarked: int
    accounts: list[DemoAccount] = field(default_factory=list)


def seed_campaign(session: Session, folder: Path, *, seed: int) -> DemoOutcome:
    """Load the editor referential, open the demo campaign over every region of the
    database, import its (messy) declarations and the ARS embarkation list. Flushes."""
    editors = load_demo_referential(session, folder, seed=seed)
    regions = sorted(
        r for r in session.scalars(select(Establishment.region).distinct()) if r is not None
    )
    campaign = find_campaign(session, DEMO_CAMPAIGN) or create_operator_campaign(
        session,
        DEMO_CAMPAIGN,
        region=regions[0] if len(regions) == 1 else None,
        departments=sorted(
            d for d in session.scalars(select(Establishment.department).distinct()) if d
        ),
    )
    embarked_path = folder / "embarquement.csv"
    numbers = [essms.finess_et for essms in open_essms(session)]
    write_demo_embarked(numbers, embarked_path, seed=seed)
    embarked = import_embarked(session, embarked_path)
    declarations_path = folder / "declarations.xlsx"
    essms = open_essms(session, campaign.name)
    write_demo_declarations(essms, campaign.name, declarations_path, seed=seed)
    declarations = import_declarations(session, declarations_path, campaign)
    return DemoOutcome(
        campaign=campaign,
        editors=editors.accepted,
        declarations=declarations.accepted,
        rejected=declarations.rejected,
        embarked=embarked.accepted,
    )


def create_accounts(
    session: Session, campaign: Campaign, region: str | None, run: SolverRun | None
) -> list[DemoAccount]:
    """One account per role (random passwords): the collectif one owns the campaign; the OG
    one represents the small OG with the most ESSMS in the run's grappes (the largest OG of
    the region without a run). Existing demo accounts are left as they are."""
    organisation = _demo_organisation(session, region, run)
    wanted = [
        ("admin@demo.grappes.test", Role.ADMIN, None, None),
        ("collectif@demo.grappes.test", Role.COLLECTIF, region, None),
        ("ars@demo.grappes.test", Role.ARS, region, None),
        ("og@demo.grappes.test", Role.OG, None, organisation.finess_ej if organisation else None),
    ]
    accounts = []
    for email, role, account_region, finess_ej in wanted:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        if role == Role.OG and finess_ej is None:
            continue
        password = secrets.token_urlsafe(12)
        user = create_user(
            session,
            email=email,
            password=password,
            role=role,
            region=account_region,
            finess_ej=finess_ej,
        )
        note = ""
        if role == Role.COLLECTIF:
            session.add(CampaignOwner(campaign_id=campaign.id, user_id=user.id))
            note = f"mène la campagne « {campaign.name} »"
        elif role == Role.OG and organisation is not None:
            note = f"organisme {organisation.name}"
        accounts.append(DemoAccount(email, role, password, note))
    session.flush()
    return accounts


def _demo_organisation(
    session: Session, region: str | None, run: SolverRun | None
) -> Organisation | None:
    if run is not None:
        in_grappes = session.scalar(
            select(Organisation)
            .join(GrappeMember, GrappeMember.finess_ej == Organisation.finess_ej)
            .join(Grappe, Grappe.id == GrappeMember.grappe_id)
            .where(Grappe.run_id == run.id, Organisation.essms_count > 1)
            .group_by(Organisation.finess_ej)
            .order_by(Organisation.essms_count, func.count().desc(), Organisation.finess_ej)
            .limit(1)
        )
        if in_grappes is not None:
            return in_grappes
    return session.scalar(
        select(Organisation)
        .join(Organisation.establishments)
        .where(Establishment.region == region if region else Establishment.region.is_not(None))
        .group_by(Organisation.finess_ej)
        .order_by(func.count().desc(), Organisation.finess_ej)
        .limit(1)
    )
