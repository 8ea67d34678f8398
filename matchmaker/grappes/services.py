"""From the database to the solver and back: candidates, locks, runs and their results.

The solver (``solver/``) sees only plain dataclasses. This module reads the establishments,
declarations and embarkation lists of a campaign's scope into ``Candidate`` rows, turns the
campaign's locks into solver locks, and stores a ``Solution`` as grappes, members and
exclusions. It flushes and never commits; ``matchmaker.grappes.runs`` orchestrates a run.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import Config
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from importers.geography import DEPARTMENTS, REGIONS, departments_of_region
from matchmaker.models import (
    Campaign,
    Declaration,
    Editor,
    Embarkation,
    Establishment,
    Exclusion,
    Grappe,
    GrappeMember,
    Lock,
    Organisation,
    SolverRun,
)
from solver import types as st

#: Reason codes of candidates set aside before the solver runs.
NO_COORDINATES = "sans_coordonnees"
ALREADY_FUNDED = "deja_finance"


class RunError(ValueError):
    """A run cannot be prepared (unknown scope, unknown campaign, bad parameter)."""


@dataclass(frozen=True)
class SetAside:
    """An ESSMS of the scope that cannot be a candidate, and why (shown like exclusions)."""

    finess_et: str
    reason_code: str
    reason: str


@dataclass
class CandidateSet:
    """The solver's input for one run, plus the ESSMS set aside beforehand."""

    candidates: list[st.Candidate] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


def resolve_scope(tokens: Iterable[str]) -> list[str]:
    """Department codes of a scope written as departments (``31``, ``2A``, ``974``) and
    regions prefixed with R (``R76`` = Occitanie). An unknown code raises ``RunError``."""
    departments: list[str] = []
    for raw in tokens:
        token = raw.strip().upper()
        if not token:
            continue
        if token.startswith("R") and token[1:] in REGIONS:
            departments.extend(departments_of_region(token[1:]))
        elif token.zfill(2) in DEPARTMENTS:
            departments.append(token.zfill(2))
        else:
            raise RunError(
                f"Périmètre inconnu : « {raw} » (attendu : un département comme 31 ou 2A, "
                "ou une région préfixée par R comme R76)."
            )
    return sorted(set(departments))


def campaign_scope(campaign: Campaign) -> list[str]:
    """The departments a campaign covers (its departments, else its region's)."""
    if campaign.departments:
        return resolve_scope(campaign.departments)
    if campaign.region:
        return departments_of_region(campaign.region)
    return []


def solve_params(
    config: Config | Mapping[str, Any],
    campaign_params: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> st.SolveParams:
    """Solver parameters: the app's programme settings, then the campaign's parameters,
    then explicit overrides (command-line options)."""
    base: dict[str, Any] = {
        "min_size": config["GRAPPE_MIN_SIZE"],
        "min_size_overseas": config["GRAPPE_MIN_SIZE_REDUCED"],
        "max_size": config["GRAPPE_MAX_SIZE"],
        "small_og_threshold": config["SMALL_OG_THRESHOLD"],
        "small_og_threshold_overseas": config["SMALL_OG_THRESHOLD_REDUCED"],
        "reduced_minimum_departments": config["REDUCED_MINIMUM_DEPARTMENTS"],
        "time_limit_s": float(config["SOLVER_TIME_LIMIT_S"]),
        "random_seed": config["SOLVER_SEED"],
        "num_workers": int(config["SOLVER_WORKERS"]) or os.cpu_count() or 1,
    }
    base.update(campaign_params or {})
    base.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return st.SolveParams.from_dict(base)
    except (TypeError, ValueError) as error:
        raise RunError(f"Paramètres du solveur invalides : {error}") from error


def gather_candidates(
    session: Session, *, campaign_id: int | None, mode: str, departments: list[str]
) -> CandidateSet:
    """The candidates of a run, by the rules of the programme.

    ``interest`` mode: the ESSMS holding a current declaration in the campaign that did not
    withdraw their interest. ``planning`` mode: every open ESSMS of the scope. In both,
    ESSMS already funded by ESMS numérique (embarkation list or declaration) are set aside,
    and so are those without coordinates. Editor rules come from the declaration (DUI,
    preferred editor, SONS editor) and from the SONS embarkation list.
    """
    if mode not in ("interest", "planning"):
        raise RunError(f"Mode inconnu : {mode}")
    if mode == "interest" and campaign_id is None:
        raise RunError("Le mode « intérêt » demande une campagne.")
    declared_editor = aliased(Editor)
    sons_editor = aliased(Editor)
    declaration_join = and_(
        Declaration.finess_et == Establishment.finess_et,
        Declaration.campaign_id == campaign_id,
        Declaration.is_current.is_(True),
    )
    query = (
        select(
            Establishment,
            Organisation.essms_count,
            Declaration,
            declared_editor.name,
            sons_editor.name,
        )
        .join(Organisation, Organisation.finess_ej == Establishment.finess_ej)
        .outerjoin(Declaration, declaration_join)
        .outerjoin(declared_editor, declared_editor.id == Declaration.editor_id)
        .outerjoin(sons_editor, sons_editor.id == Declaration.sons_editor_id)
        .where(Establishment.is_open.is_(True), Establishment.is_essms.is_(True))
        .order_by(Establishment.finess_et)
    )
    if departments:
        query = query.where(Establishment.department.in_(departments))
    if mode == "interest":
        query = query.where(Declaration.id.is_not(None), Declaration.interested.is_not(False))

    funded, sons = _embarkations(session, departments)
    result = CandidateSet()
    for establishment, og_size, declaration, editor_name, sons_name in session.execute(query):
        finess = establishment.finess_et
        if finess in funded or (declaration is not None and declaration.already_funded):
            result.set_aside.append(
                SetAside(finess, ALREADY_FUNDED, "Déjà financé par ESMS numérique.")
            )
            continue
        if not establishment.has_coordinates:
            result.set_aside.append(
                SetAside(
                    finess,
                    NO_COORDINATES,
                    "Pas de coordonnées géographiques dans FINESS : impossible de le placer.",
                )
            )
            continue
        result.candidates.append(
            _candidate(establishment, og_size, declaration, editor_name, sons_name, sons)
        )
    return result


def _embarkations(session: Session, departments: list[str]) -> tuple[set[str], dict[str, str]]:
    """ESSMS funded by ESMS numérique, and the SONS editor of ESSMS that ordered SONS."""
    query = (
        select(Embarkation.finess_et, Embarkation.scheme, Editor.name, Embarkation.editor_raw)
        .join(Establishment, Establishment.finess_et == Embarkation.finess_et)
        .outerjoin(Editor, Editor.id == Embarkation.editor_id)
    )
    if departments:
        query = query.where(Establishment.department.in_(departments))
    funded: set[str] = set()
    sons: dict[str, str] = {}
    for finess, scheme, editor_name, editor_raw in session.execute(query):
        if scheme == "esms_numerique":
            funded.add(finess)
        elif label := editor_name or _clean(editor_raw):
            sons[finess] = label
    return funded, sons


def _clean(raw: str | None) -> str | None:
    """An unmatched editor name as typed, trimmed (it still groups identical spellings)."""
    if raw is None:
        return None
    text = " ".join(raw.split())
    return text or None


def _candidate(
    establishment: Establishment,
    og_size: int,
    declaration: Declaration | None,
    editor_name: str | None,
    sons_name: str | None,
    sons: Mapping[str, str],
) -> st.Candidate:
    editor = None
    dui_status = "aucun"
    sons_editor = sons.get(establishment.finess_et)
    willing = False
    champ = establishment.champ
    if declaration is not None:
        editor = editor_name or _clean(declaration.editor_raw)
        dui_status = declaration.dui_status or ("non_reference" if editor else "aucun")
        if declaration.sons_status in ("commande", "realise"):
            sons_editor = sons_name or _clean(declaration.sons_editor_raw) or sons_editor
        willing = bool(declaration.willing_carrier)
        champ = declaration.champ or champ
    if dui_status != "aucun" and editor is None:
        dui_status = "aucun"
    assert establishment.latitude is not None and establishment.longitude is not None
    return st.Candidate(
        finess_et=establishment.finess_et,
        finess_ej=establishment.finess_ej,
        latitude=establishment.latitude,
        longitude=establishment.longitude,
        department=establishment.department,
        og_size=max(og_size or 0, 1),
        champ=champ,
        dui_status=dui_status,
        editor=editor,
        sons_editor=sons_editor,
        willing_carrier=willing,
    )


def grappe_key(grappe: Grappe) -> str:
    """The solver's key of a stored grappe (stable across runs)."""
    return f"g{grappe.id}"


def solver_locks(session: Session, campaign_id: int | None) -> tuple[st.Lock, ...]:
    """The campaign's active locks, as solver locks (frozen grappes with their members)."""
    if campaign_id is None:
        return ()
    locks: list[st.Lock] = []
    rows = session.scalars(
        select(Lock).where(Lock.campaign_id == campaign_id, Lock.active.is_(True)).order_by(Lock.id)
    )
    for lock in rows:
        if lock.kind == "exclude" and lock.finess_et:
            locks.append(st.Exclude(lock.finess_et))
        elif lock.kind == "together" and lock.finess_et and lock.other_finess_et:
            locks.append(st.Together(lock.finess_et, lock.other_finess_et))
        elif lock.kind == "apart" and lock.finess_et and lock.other_finess_et:
            locks.append(st.Apart(lock.finess_et, lock.other_finess_et))
        elif lock.kind == "must_join" and lock.finess_et and lock.grappe_id:
            locks.append(st.MustJoin(lock.finess_et, f"g{lock.grappe_id}"))
        elif lock.kind == "freeze" and lock.grappe_id:
            grappe = session.get(Grappe, lock.grappe_id)
            if grappe is not None:
                locks.append(
                    st.FrozenGrappe(
                        key=grappe_key(grappe),
                        editor=grappe.editor_name or None,
                        members=tuple(m.finess_et for m in grappe.members),
                    )
                )
    return tuple(locks)


#: Why a grappe has the carrier the collectif chose.
CHOSEN_CARRIER = "Choisi par le collectif."


def chosen_carriers(session: Session, campaign_id: int | None) -> list[str]:
    """The OG the collectif chose as carriers, most recent choice first."""
    if campaign_id is None:
        return []
    return list(
        session.scalars(
            select(Lock.carrier_ej)
            .where(
                Lock.campaign_id == campaign_id,
                Lock.active.is_(True),
                Lock.kind == "carrier",
                Lock.carrier_ej.is_not(None),
            )
            .order_by(Lock.id.desc())
        )
    )


def apply_chosen_carriers(solution: st.Solution, carriers: list[str]) -> st.Solution:
    """Each grappe holding ESSMS of a chosen carrier OG gets it as carrier (the most recent
    choice wins when a grappe holds several); the solver's choice stands elsewhere."""
    if not carriers:
        return solution
    rank = {finess_ej: index for index, finess_ej in enumerate(carriers)}
    grappes = []
    for grappe in solution.grappes:
        chosen = sorted({m.finess_ej for m in grappe.members} & rank.keys(), key=rank.__getitem__)
        if chosen:
            grappe = replace(grappe, carrier_ej=chosen[0], carrier_reason=CHOSEN_CARRIER)
        grappes.append(grappe)
    return replace(solution, grappes=tuple(grappes))


def previous_solution(run: SolverRun | None) -> st.Solution | None:
    """A stored run as a solver ``Solution``, to warm-start a re-solve."""
    if run is None or run.status != "succeeded":
        return None
    grappes = tuple(
        st.Grappe(
            key=grappe_key(g),
            editor=g.editor_name or None,
            centre=g.centre_finess_et or g.members[0].finess_et,
            members=tuple(st.Member(m.finess_et, m.finess_ej, m.distance_km) for m in g.members),
            carrier_ej=g.carrier_ej or g.members[0].finess_ej,
            carrier_reason=g.carrier_reason or "",
            total_km=g.total_km,
            mean_km=g.mean_km,
            n_small_og=g.small_og_count,
            frozen=g.frozen,
        )
        for g in run.grappes
        if g.members
    )
    exclusions = tuple(
        st.Exclusion(e.finess_et, e.reason_code, e.reason)
        for e in run.exclusions
        if e.reason_code not in (ALREADY_FUNDED, NO_COORDINATES)
    )
    return st.Solution(
        status=run.solver_status or "FEASIBLE", grappes=grappes, exclusions=exclusions
    )


def store_solution(
    session: Session,
    run: SolverRun,
    candidates: CandidateSet,
    solution: st.Solution,
    frozen_keys: Iterable[str] = (),
) -> None:
    """Write a solution's grappes, members and exclusions, and the run's figures."""
    frozen = set(frozen_keys)
    by_finess = {c.finess_et: c for c in candidates.candidates}
    editor_ids = {name: id_ for name, id_ in session.execute(select(Editor.name, Editor.id))}
    total_km = 0.0
    for number, result in enumerate(solution.grappes, start=1):
        centre = by_finess.get(result.centre)
        distances = [m.distance_km for m in result.members]
        grappe = Grappe(
            run=run,
            number=number,
            editor_name=result.editor or "",
            editor_id=editor_ids.get(result.editor) if result.editor else None,
            carrier_ej=result.carrier_ej,
            carrier_reason=result.carrier_reason,
            centre_finess_et=result.centre,
            centre_latitude=centre.latitude if centre else None,
            centre_longitude=centre.longitude if centre else None,
            total_km=result.total_km,
            mean_km=result.mean_km,
            max_km=max(distances, default=0.0),
            small_og_count=result.n_small_og,
            og_count=len({m.finess_ej for m in result.members}),
            frozen=result.frozen or result.key in frozen,
        )
        grappe.members = [
            GrappeMember(
                finess_et=m.finess_et,
                finess_ej=m.finess_ej,
                distance_km=m.distance_km,
                is_carrier=m.finess_ej == result.carrier_ej,
            )
            for m in result.members
        ]
        session.add(grappe)
        total_km += result.total_km
    for exclusion in solution.exclusions:
        session.add(
            Exclusion(
                run=run,
                finess_et=exclusion.finess_et,
                reason_code=exclusion.reason_code,
                reason=exclusion.reason,
                near_miss=exclusion.near_miss.text if exclusion.near_miss else None,
            )
        )
    for aside in candidates.set_aside:
        session.add(
            Exclusion(
                run=run,
                finess_et=aside.finess_et,
                reason_code=aside.reason_code,
                reason=aside.reason,
            )
        )
    covered = sum(g.size for g in solution.grappes)
    run.solver_status = solution.status
    run.objective = solution.objective
    run.best_bound = solution.best_bound
    run.gap = solution.gap
    run.candidate_count = len(candidates.candidates)
    run.covered_count = covered
    run.total_km = round(total_km, 3)
    run.wall_time_s = solution.wall_time_s
    run.stats = {
        "set_aside": len(candidates.set_aside),
        "subproblems": [
            {
                "key": s.key,
                "editor": s.editor,
                "candidates": s.n_candidates,
                "status": s.status,
                "objective": s.objective,
                "best_bound": s.best_bound,
                "gap": s.gap,
                "wall_time_s": round(s.wall_time_s, 3),
            }
            for s in solution.subproblems
        ],
    }
    session.flush()


#: Columns of the run's CSV, in the order of the issue.
RESULT_COLUMNS = (
    "grappe_id",
    "editeur",
    "finess_et",
    "finess_ej",
    "porteur",
    "distance_km",
    "motif",
)


def result_rows(session: Session, run: SolverRun) -> list[dict[str, str]]:
    """One row per candidate: its grappe, or empty grappe and distance with the reason."""
    rows: list[dict[str, str]] = []
    for grappe in run.grappes:
        for member in grappe.members:
            rows.append(
                {
                    "grappe_id": str(grappe.number),
                    "editeur": grappe.editor_name,
                    "finess_et": member.finess_et,
                    "finess_ej": member.finess_ej,
                    "porteur": "1" if member.is_carrier else "0",
                    "distance_km": f"{member.distance_km:.1f}",
                    "motif": "",
                }
            )
    exclusions = session.execute(
        select(Exclusion, Establishment.finess_ej)
        .join(Establishment, Establishment.finess_et == Exclusion.finess_et)
        .where(Exclusion.run_id == run.id)
        .order_by(Exclusion.finess_et)
    )
    for exclusion, finess_ej in exclusions:
        reason = exclusion.reason
        if exclusion.near_miss:
            reason = f"{reason} Au plus près : {exclusion.near_miss}"
        rows.append(
            {
                "grappe_id": "",
                "editeur": "",
                "finess_et": exclusion.finess_et,
                "finess_ej": finess_ej,
                "porteur": "0",
                "distance_km": "",
                "motif": reason,
            }
        )
    return rows


def write_results_csv(session: Session, run: SolverRun, path: Path) -> int:
    """Write the run's CSV (UTF-8 with BOM, for Excel); returns the number of rows."""
    rows = result_rows(session, run)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def create_run(
    session: Session,
    *,
    campaign: Campaign | None,
    mode: str,
    departments: list[str],
    params: st.SolveParams,
    user_id: int | None = None,
    parent: SolverRun | None = None,
) -> SolverRun:
    """A queued run with its parameters (flushed, not committed)."""
    run = SolverRun(
        campaign_id=campaign.id if campaign else None,
        parent_run_id=parent.id if parent else None,
        mode=mode,
        scope=departments,
        params=params_as_json(params),
        status="queued",
        created_by_user_id=user_id,
    )
    session.add(run)
    session.flush()
    return run


def params_as_json(params: st.SolveParams) -> dict[str, Any]:
    """Parameters as stored with the run (sets as sorted lists)."""
    data = dict(vars(params))
    data["reduced_minimum_departments"] = sorted(params.reduced_minimum_departments)
    return data


def params_of(run: SolverRun) -> st.SolveParams:
    """The run's stored parameters back as ``SolveParams``."""
    return st.SolveParams.from_dict(dict(run.params))


def with_overrides(params: st.SolveParams, **overrides: Any) -> st.SolveParams:
    """``params`` with the non-None overrides applied."""
    return replace(params, **{k: v for k, v in overrides.items() if v is not None})
