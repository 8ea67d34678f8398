"""The small world of the site tests: two OG of Bretagne (35), one of Normandie, their ESSMS
and an open campaign, built by the ``world`` fixture of ``tests/conftest.py``; and what the
site tests add to it (editors, the declaration form, a published grappe).

The rows are *committed*: inside ``db_session`` a commit only releases a savepoint (the
test's transaction is still rolled back at the end), and it keeps the data when a view rolls
its own work back after a refused action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.editor_names import normalise_name
from matchmaker.models import (
    Campaign,
    Declaration,
    Editor,
    Establishment,
    Grappe,
    GrappeMember,
    Organisation,
    Solution,
    SolverRun,
)
from matchmaker.models.base import utcnow
from tests.factories import make_campaign, make_editor, make_establishment, make_organisation

RENNES = (48.11, -1.68)


@dataclass
class World:
    """Two OG of Bretagne (35), one of Normandie, their ESSMS and an open campaign."""

    og_a: Organisation
    og_b: Organisation
    og_far: Organisation
    essms_a: list[Establishment]
    essms_b: list[Establishment]
    essms_far: list[Establishment]
    campaign: Campaign
    extra: dict[str, Any] = field(default_factory=dict)


def add_organisation(
    session: Session, finess_ej: str, name: str, *, email_domain: str | None = None
) -> Organisation:
    """An OG of the world (with a SIRET)."""
    return make_organisation(
        session, finess_ej, name=name, email_domain=email_domain, siret="12345678900011"
    )


def add_establishment(
    session: Session,
    finess_et: str,
    organisation: Organisation,
    *,
    name: str,
    commune: str = "RENNES",
    department: str = "35",
    region: str = "53",
    latitude: float | None = RENNES[0],
    longitude: float | None = RENNES[1],
    champ: str = "PA",
) -> Establishment:
    """An open ESSMS of the world, in Rennes unless told."""
    return make_establishment(
        session,
        organisation,
        finess_et=finess_et,
        short_name=name,
        long_name=name,
        commune=commune,
        department=department,
        region=region,
        latitude=latitude,
        longitude=longitude,
        champ=champ,
        category_code=None,
        category_label="Etablissement d'hébergement pour personnes âgées dépendantes",
        phone="0299000000",
    )


def build_world(session: Session) -> World:
    """The world's rows, committed."""
    og_a = add_organisation(session, "350000001", "ASSOCIATION ALPHA", email_domain="alpha.fr")
    og_b = add_organisation(session, "350000002", "ASSOCIATION BETA")
    og_far = add_organisation(session, "140000001", "ASSOCIATION LOINTAINE")
    session.commit()
    essms_a = [
        add_establishment(session, "350000101", og_a, name="EHPAD LES TILLEULS"),
        add_establishment(
            session,
            "350000102",
            og_a,
            name="SSIAD ALPHA",
            commune="CESSON-SEVIGNE",
            latitude=48.12,
            longitude=-1.60,
            champ="DOM",
        ),
        add_establishment(
            session,
            "350000103",
            og_a,
            name="IME ALPHA",
            commune="VITRE",
            latitude=48.12,
            longitude=-1.21,
            champ="PH",
        ),
    ]
    essms_b = [
        add_establishment(
            session,
            "350000201",
            og_b,
            name="EHPAD BETA",
            commune="BRUZ",
            latitude=48.02,
            longitude=-1.75,
        ),
        add_establishment(
            session,
            "350000202",
            og_b,
            name="FOYER BETA",
            commune="SAINT-MALO",
            latitude=48.65,
            longitude=-2.01,
            champ="PH",
        ),
    ]
    essms_far = [
        add_establishment(
            session,
            "140000101",
            og_far,
            name="EHPAD LOINTAIN",
            commune="CAEN",
            department="14",
            region="28",
            latitude=49.18,
            longitude=-0.37,
        )
    ]
    campaign = make_campaign(
        session, "Bretagne 2026", region="53", status="open", closes_on=date(2099, 12, 31)
    )
    session.commit()
    return World(og_a, og_b, og_far, essms_a, essms_b, essms_far, campaign)


def add_editor(session: Session, name: str, solution: str, referenced: bool = True) -> Editor:
    """An editor and its solution (referenced Ségur unless told), committed."""
    editor = make_editor(session, name, key=normalise_name(name))
    session.commit()
    session.add(
        Solution(
            editor_id=editor.id,
            name=solution,
            key=normalise_name(solution),
            reference_segur=referenced,
        )
    )
    session.commit()
    return editor


def declaration_form(**overrides: str) -> dict[str, str]:
    """The fields of the declaration form, as an OG of OG A fills them."""
    data = {
        "dui_status": "reference_segur",
        "editor": "Acme Santé",
        "sons_status": "aucun",
        "sons_editor": "",
        "champ": "PA",
        "interested": "y",
        "contact_email": "contact@alpha.fr",
        "comment": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def current(session: Session, finess_et: str) -> list[Declaration]:
    """The declarations of an ESSMS, oldest first."""
    return list(
        session.scalars(
            select(Declaration).where(Declaration.finess_et == finess_et).order_by(Declaration.id)
        )
    )


def publish_grappe(session: Session, world: World, *, published: bool = True) -> Grappe:
    """One grappe of Acme: the 3 ESSMS of OG A (carrier) and the 2 of OG B."""
    run = SolverRun(
        campaign_id=world.campaign.id,
        status="succeeded",
        published_at=utcnow() if published else None,
    )
    session.add(run)
    session.commit()
    grappe = Grappe(
        run_id=run.id,
        number=1,
        editor_name="Acme",
        carrier_ej=world.og_a.finess_ej,
        carrier_reason="volontaire",
        centre_finess_et="350000101",
        centre_latitude=48.11,
        centre_longitude=-1.68,
        mean_km=20.0,
        max_km=60.0,
    )
    grappe.members = [
        GrappeMember(
            finess_et=e.finess_et,
            finess_ej=e.finess_ej,
            distance_km=float(i * 10),
            is_carrier=e.finess_ej == world.og_a.finess_ej,
        )
        for i, e in enumerate(world.essms_a + world.essms_b)
    ]
    session.add(grappe)
    session.commit()
    return grappe
