"""Runs in the database: a queued run, a solution stored as grappes, members, exclusions
and the snapshot of what the solver saw, and a stored run back as a solver solution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.grappes import wording
from matchmaker.grappes.candidates import ALREADY_FUNDED, NO_COORDINATES, CandidateSet
from matchmaker.grappes.locks import grappe_key
from matchmaker.grappes.params import params_as_json, params_of
from matchmaker.grappes.run_figures import solver_figures
from matchmaker.models import (
    Campaign,
    Editor,
    Exclusion,
    Grappe,
    GrappeMember,
    RunCandidate,
    SolverRun,
)
from matchmaker.ops import table_statistics
from matchmaker.vocabulary import RunStatus
from solver import types as st
from solver.prepare import prepare


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
        status=RunStatus.QUEUED,
        created_by_user_id=user_id,
    )
    session.add(run)
    session.flush()
    return run


def solution_of(run: SolverRun) -> st.Solution:
    """A stored run as a solver ``Solution``, every grappe and exclusion kept (the
    adjustments edit it, then check it with ``solver.validate``)."""

    def grappe(g: Grappe) -> st.Grappe:
        first = g.members[0] if g.members else None
        return st.Grappe(
            key=grappe_key(g),
            editor=g.editor_name or None,
            centre=g.centre_finess_et or (first.finess_et if first else ""),
            members=tuple(st.Member(m.finess_et, m.finess_ej, m.distance_km) for m in g.members),
            carrier_ej=g.carrier_ej or (first.finess_ej if first else ""),
            carrier_reason=g.carrier_reason or "",
            total_km=g.total_km,
            mean_km=g.mean_km,
            n_small_og=g.small_og_count,
            frozen=g.frozen,
        )

    return st.Solution(
        status=run.solver_status or "FEASIBLE",
        grappes=tuple(grappe(g) for g in run.grappes),
        exclusions=tuple(
            st.Exclusion(e.finess_et, e.reason_code, e.reason) for e in run.exclusions
        ),
    )


def previous_solution(run: SolverRun | None) -> st.Solution | None:
    """A succeeded run as a solver ``Solution``, to warm-start a re-solve: its non-empty
    grappes, and the exclusions the solver decided (not those set aside before it ran)."""
    if run is None or run.status != RunStatus.SUCCEEDED:
        return None
    stored = solution_of(run)
    return replace(
        stored,
        grappes=tuple(g for g in stored.grappes if g.members),
        exclusions=tuple(
            e for e in stored.exclusions if e.reason_code not in (ALREADY_FUNDED, NO_COORDINATES)
        ),
    )


def solver_flags(
    candidates: list[st.Candidate], params: st.SolveParams
) -> dict[str, tuple[bool, bool]]:
    """Small OG and isolated, per candidate, as the solver's preparation decides them."""
    if not candidates:
        return {}
    prepared = prepare(candidates, params, ())
    return {
        c.finess_et: (bool(prepared.small_og[i]), bool(prepared.isolated[i]))
        for i, c in enumerate(prepared.candidates)
    }


def store_solution(
    session: Session,
    run: SolverRun,
    candidates: CandidateSet,
    solution: st.Solution,
    frozen_keys: Iterable[str] = (),
) -> None:
    """Write a solution's grappes, members and exclusions, the facts the solver saw of
    each candidate (the run's snapshot), and the run's figures."""
    frozen = set(frozen_keys)
    by_finess = {c.finess_et: c for c in candidates.candidates}
    editor_ids = {name: id_ for name, id_ in session.execute(select(Editor.name, Editor.id))}
    params = params_of(run)
    set_aside = {aside.finess_et for aside in candidates.set_aside}
    flags = solver_flags(candidates.candidates, params)
    for facts in candidates.facts:
        small, isolated = flags.get(facts.finess_et, (None, False))
        run.candidates.append(
            facts.snapshot(
                params, set_aside=facts.finess_et in set_aside, small_og=small, isolated=isolated
            )
        )
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
    numbers = {result.key: n for n, result in enumerate(solution.grappes, start=1)}
    for exclusion in solution.exclusions:
        session.add(
            Exclusion(
                run=run,
                finess_et=exclusion.finess_et,
                reason_code=exclusion.reason_code,
                reason=exclusion.reason,
                near_miss=(
                    wording.near_miss_text(exclusion.near_miss, numbers)
                    if exclusion.near_miss
                    else None
                ),
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
        **solver_figures(solution),
        "set_aside": len(candidates.set_aside),
        "subproblems": [
            {
                "key": s.key,
                "editor": s.editor,
                "candidates": s.n_candidates,
                "status": s.status,
                "locks_relaxed": s.locks_relaxed,
                "objective": s.objective,
                "best_bound": s.best_bound,
                "gap": s.gap,
                "wall_time_s": round(s.wall_time_s, 3),
            }
            for s in solution.subproblems
        ],
    }
    session.flush()
    # A national run adds tens of thousands of rows: the review pages' plans need to know.
    table_statistics.refresh(session, Grappe, GrappeMember, Exclusion, RunCandidate)
