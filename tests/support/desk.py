"""The campaign console's desk: a campaign of Bretagne, its owner, a stored run with two
grappes and those left out. Built by the ``desk`` fixture of the campaign tests."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.grappes.params import params_as_json, solve_params
from matchmaker.models import (
    Campaign,
    CampaignOwner,
    Establishment,
    Exclusion,
    Grappe,
    GrappeMember,
    Organisation,
    Role,
    SolverRun,
    User,
)
from solver.geo import haversine_km
from tests.factories import (
    make_campaign,
    make_declaration,
    make_editor,
    make_establishment,
    make_organisation,
    make_user,
)

RENNES = (48.11, -1.68)
#: A valid SIRET (Luhn), for carriers.
SIRET = "73282932000074"


def ring(index: int, radius_km: float, centre: tuple[float, float] = RENNES) -> tuple[float, float]:
    angle = 2 * math.pi * index / 17
    lat = centre[0] + radius_km / 111 * math.sin(angle)
    lon = centre[1] + radius_km / (111 * math.cos(math.radians(centre[0]))) * math.cos(angle)
    return lat, lon


@dataclass
class Desk:
    """A campaign with a stored run: grappe 1 (Alpha, 16 ESSMS), grappe 2 (Beta, 15 ESSMS),
    left out: one Gamma ESSMS and one ESSMS without DUI."""

    campaign: Campaign
    owner: User
    run: SolverRun
    alpha: Grappe
    beta: Grappe
    gamma_essms: Establishment
    free_essms: Establishment
    extra: dict[str, Any] = field(default_factory=dict)


def build_desk(session: Session, config: Any, *, name: str = "Bretagne 2026") -> Desk:
    """The desk's rows, flushed (the caller commits when it needs to)."""
    campaign = make_campaign(session, name, region="53", departments=["35"], status="open")
    owner = make_user(session, Role.COLLECTIF, email=f"porteuse-{campaign.id}@collectif.fr")
    session.add(CampaignOwner(campaign_id=campaign.id, user_id=owner.id))
    alpha_editor = make_editor(session, "Alpha Santé")
    beta_editor = make_editor(session, "Beta Soft")
    members: dict[str, list[Establishment]] = {"alpha": [], "beta": []}
    for key, editor, count, radius in (
        ("alpha", alpha_editor, 16, 4.0),
        ("beta", beta_editor, 15, 30.0),
    ):
        for i in range(count):
            og = make_organisation(
                session, name=f"OG {key.upper()} {i}", siret=SIRET, department="35"
            )
            lat, lon = ring(i, radius + i * 0.3)
            essms = make_establishment(
                session,
                og,
                department="35",
                latitude=lat,
                longitude=lon,
                short_name=f"EHPAD {key.upper()} {i}",
                region="53",
            )
            make_declaration(session, campaign, essms, editor=editor)
            members[key].append(essms)
    gamma = make_establishment(
        session,
        make_organisation(session, name="OG GAMMA"),
        department="35",
        latitude=48.5,
        longitude=-2.0,
        short_name="EHPAD GAMMA",
        region="53",
    )
    make_declaration(session, campaign, gamma, editor=make_editor(session, "Gamma Info"))
    free = make_establishment(
        session,
        make_organisation(session, name="OG LIBRE"),
        department="35",
        latitude=48.2,
        longitude=-1.5,
        short_name="SSIAD LIBRE",
        region="53",
    )
    make_declaration(session, campaign, free, dui_status="aucun")
    params = solve_params(config)
    run = SolverRun(
        campaign_id=campaign.id,
        mode="interest",
        scope=["35"],
        params=params_as_json(params),
        status="succeeded",
        solver_status="OPTIMAL",
        candidate_count=33,
        covered_count=31,
        total_km=0.0,
        gap=0.0,
        wall_time_s=1.5,
    )
    session.add(run)
    session.flush()
    alpha = make_grappe(session, run, 1, "Alpha Santé", members["alpha"])
    beta = make_grappe(session, run, 2, "Beta Soft", members["beta"])
    session.add_all(
        [
            Exclusion(
                run_id=run.id,
                finess_et=gamma.finess_et,
                reason_code="too_few_peers",
                reason="Trop peu d'ESSMS de l'éditeur Gamma Info à proximité.",
                near_miss="Grappe n° 1 à 20 km si l'éditeur était libre.",
            ),
            Exclusion(
                run_id=run.id,
                finess_et=free.finess_et,
                reason_code="not_selected",
                reason="Aucune grappe assez proche.",
            ),
        ]
    )
    session.flush()
    session.refresh(run)
    return Desk(campaign, owner, run, alpha, beta, gamma, free)


def make_grappe(
    session: Session, run: SolverRun, number: int, editor: str, members: list[Establishment]
) -> Grappe:
    centre = members[0]
    assert centre.latitude is not None and centre.longitude is not None
    grappe = Grappe(
        run_id=run.id,
        number=number,
        editor_name=editor,
        carrier_ej=centre.finess_ej,
        carrier_reason="OG volontaire",
        centre_finess_et=centre.finess_et,
        centre_latitude=centre.latitude,
        centre_longitude=centre.longitude,
        og_count=len(members),
        small_og_count=len(members),
    )
    distances = []
    for essms in members:
        assert essms.latitude is not None and essms.longitude is not None
        distance = round(
            float(haversine_km(essms.latitude, essms.longitude, centre.latitude, centre.longitude)),
            3,
        )
        distances.append(distance)
        grappe.members.append(
            GrappeMember(
                finess_et=essms.finess_et,
                finess_ej=essms.finess_ej,
                distance_km=distance,
                is_carrier=essms is centre,
            )
        )
    grappe.total_km = sum(distances)
    grappe.mean_km = sum(distances) / len(distances)
    grappe.max_km = max(distances)
    session.add(grappe)
    session.flush()
    return grappe


def organisation(session: Session, finess_ej: str) -> Organisation:
    found = session.get(Organisation, finess_ej)
    assert found is not None
    return found
