"""What-if: the solver in planning mode on a department or the whole region.

A simulation is an ordinary solver run (``matchmaker.grappes``: ``create_run`` then
``runs.execute_run``) in ``planning`` mode over the departments of the scope, executed as
a background job (kind ``campaign.solve``), never inside a request. Planning mode takes
every open ESSMS of the scope that ESMS numérique did not fund yet; ESSMS that ordered SONS
take part bound to their SONS editor. Editors come from the declarations of the campaign
chosen for the simulation, if any (without one, every ESSMS counts as having no DUI, and
the grappes it proposes have an editor still to choose).

A region's simulations are the planning runs whose scope lies within the region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS, REGIONS, departments_of_region
from matchmaker.ars.services import Forbidden, NotFound, check_department
from matchmaker.audit.services import record
from matchmaker.campaigns.runs import (
    ACTIVE_STATUSES,
    RELAUNCHABLE_STATUSES,
    settle_run,
    stop_run,
)
from matchmaker.grappes.candidates import ALREADY_FUNDED
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.storage import create_run
from matchmaker.jobs import services as job_services
from matchmaker.models import (
    Campaign,
    Embarkation,
    Establishment,
    Exclusion,
    Grappe,
    Job,
    Organisation,
    SolverRun,
    User,
)
from matchmaker.vocabulary import EmbarkationScheme, RunMode

#: The job that executes a queued solver run.
SOLVE_JOB = "campaign.solve"
#: Simulations listed on the desk.
RUNS_SHOWN = 20
#: The editor label of a grappe whose editor is still to choose.
NO_EDITOR = "Éditeur à choisir (sans DUI)"


class SimulationRefused(Exception):
    """The simulation is not in a state that allows the action (French message)."""


@dataclass(frozen=True)
class EditorLine:
    editor: str
    grappes: int
    essms: int


@dataclass(frozen=True)
class Place:
    """An ESSMS of a simulation with what the page and the export show."""

    finess_et: str
    name: str
    finess_ej: str
    og_name: str | None
    commune: str | None
    department: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Isolated:
    place: Place
    reason_code: str
    reason: str
    near_miss: str | None


@dataclass
class WhatIf:
    """A simulation's outcome, ready for the page, the map and the export."""

    run: SolverRun
    grappes: list[Grappe] = field(default_factory=list)
    editors: list[EditorLine] = field(default_factory=list)
    isolated: list[Isolated] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)
    #: ESSMS left out because ESMS numérique already funded them (not shown as isolated).
    already_funded: int = 0
    #: Placed ESSMS already embarked in SONS (they join their SONS editor's grappe).
    sons_placed: int = 0

    @property
    def covered(self) -> int:
        return sum(len(g.members) for g in self.grappes)


def scope_label(departments: list[str]) -> str:
    """« Haute-Garonne (31) », or the region's name when the scope is a whole region."""
    if len(departments) == 1 and departments[0] in DEPARTMENTS:
        dep = DEPARTMENTS[departments[0]]
        return f"{dep.name} ({dep.code})"
    regions = {DEPARTMENTS[d].region_code for d in departments if d in DEPARTMENTS}
    if len(regions) == 1:
        region = regions.pop()
        if sorted(departments) == sorted(departments_of_region(region)):
            return REGIONS[region].name
    return ", ".join(departments)


def region_campaigns(session: Session, region: str) -> list[Campaign]:
    """Campaigns of the region whose declarations a simulation may use."""
    return list(
        session.scalars(
            select(Campaign).where(Campaign.region == region).order_by(Campaign.id.desc())
        )
    )


def launch(
    session: Session,
    user: User,
    region: str,
    department: str | None,
    config: Mapping[str, Any],
    campaign_id: int | None = None,
) -> tuple[SolverRun, Job]:
    """Queue a planning run on ``department`` (or the whole region) and its job.
    Flushes; the job starts when the caller commits."""
    department = check_department(region, department)
    departments = [department] if department else departments_of_region(region)
    campaign = None
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.region != region:
            raise Forbidden("Cette campagne n'est pas une campagne de votre région.")
    params = solve_params(config, campaign.solver_params if campaign else None)
    run = create_run(
        session,
        campaign=campaign,
        mode=RunMode.PLANNING,
        departments=departments,
        params=params,
        user_id=user.id,
    )
    job = job_services.enqueue(session, SOLVE_JOB, {"run_id": run.id}, user)
    run.job_id = job.id
    record(
        session,
        user,
        "ars.what_if",
        object_type="run",
        object_id=run.id,
        region=region,
        departments=departments,
        job_id=job.id,
    )
    return run, job


def _in_region(run: SolverRun, region: str) -> bool:
    departments = set(departments_of_region(region))
    return run.mode == RunMode.PLANNING and bool(run.scope) and set(run.scope) <= departments


def region_runs(session: Session, region: str) -> list[SolverRun]:
    """The region's latest simulations, newest first."""
    runs = session.scalars(
        select(SolverRun).where(SolverRun.mode == RunMode.PLANNING).order_by(SolverRun.id.desc())
    )
    found: list[SolverRun] = []
    for run in runs:
        if _in_region(run, region):
            found.append(run)
            if len(found) == RUNS_SHOWN:
                break
    return found


def get_run(session: Session, region: str, run_id: int) -> SolverRun:
    """The simulation, if it belongs to the region."""
    run = session.get(SolverRun, run_id)
    if run is None:
        raise NotFound(f"Simulation n° {run_id} introuvable.")
    if not _in_region(run, region):
        raise Forbidden("Cette simulation ne concerne pas votre région.")
    return run


def relaunch(
    session: Session, user: User, region: str, run: SolverRun, config: Mapping[str, Any]
) -> tuple[SolverRun, Job]:
    """A new simulation on the scope and campaign of a failed or cancelled one."""
    settle_run(session, run)
    if run.status not in RELAUNCHABLE_STATUSES:
        raise SimulationRefused("Seule une simulation échouée ou annulée peut être relancée.")
    department = run.scope[0] if len(run.scope) == 1 else None
    return launch(session, user, region, department, config, campaign_id=run.campaign_id)


def abandon(session: Session, user: User, run: SolverRun) -> SolverRun:
    """Stop a simulation not ended yet (its job is cancelled; without a live job it ends
    « annulée » at once)."""
    settle_run(session, run)
    if run.status not in ACTIVE_STATUSES:
        raise SimulationRefused("Cette simulation est déjà terminée.")
    stop_run(session, user, run)
    record(session, user, "ars.what_if_abandoned", object_type="run", object_id=run.id)
    return run


def outcome(session: Session, run: SolverRun) -> WhatIf:
    """Grappes by editor, and the ESSMS that would stay isolated, with their reasons."""
    result = WhatIf(run=run, grappes=list(run.grappes))
    exclusions = list(
        session.scalars(
            select(Exclusion).where(Exclusion.run_id == run.id).order_by(Exclusion.finess_et)
        )
    )
    finess = {m.finess_et for g in result.grappes for m in g.members}
    finess |= {e.finess_et for e in exclusions}
    result.places = _places(session, finess)
    placed = sorted({m.finess_et for g in result.grappes for m in g.members})
    result.sons_placed = sum(
        len(
            set(
                session.scalars(
                    select(Embarkation.finess_et).where(
                        Embarkation.scheme == EmbarkationScheme.SONS,
                        Embarkation.finess_et.in_(chunk),
                    )
                )
            )
        )
        for chunk in _chunks(placed)
    )
    by_editor: dict[str, list[Grappe]] = {}
    for grappe in result.grappes:
        by_editor.setdefault(grappe.editor_name or NO_EDITOR, []).append(grappe)
    result.editors = sorted(
        (
            EditorLine(editor, len(grappes), sum(len(g.members) for g in grappes))
            for editor, grappes in by_editor.items()
        ),
        key=lambda line: (-line.essms, line.editor),
    )
    for exclusion in exclusions:
        if exclusion.reason_code == ALREADY_FUNDED:
            result.already_funded += 1
            continue
        place = result.places.get(exclusion.finess_et)
        if place is not None:
            result.isolated.append(
                Isolated(place, exclusion.reason_code, exclusion.reason, exclusion.near_miss)
            )
    return result


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    """``items`` in slices (IN lists of bounded length)."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def _places(session: Session, finess: set[str]) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for chunk in _chunks(sorted(finess)):
        rows = session.execute(
            select(
                Establishment.finess_et,
                Establishment.long_name,
                Establishment.short_name,
                Establishment.finess_ej,
                Organisation.name,
                Establishment.commune,
                Establishment.department,
                Establishment.latitude,
                Establishment.longitude,
            )
            .join(Establishment.organisation)
            .where(Establishment.finess_et.in_(chunk))
        )
        for row in rows:
            places[row.finess_et] = Place(
                finess_et=row.finess_et,
                name=row.long_name or row.short_name,
                finess_ej=row.finess_ej,
                og_name=row.name,
                commune=row.commune,
                department=row.department,
                latitude=row.latitude,
                longitude=row.longitude,
            )
    return places
