"""A run's solver figures (issue 13): the gap to the global lower bound, whether a
wall-time guard cut the run short, its time budget, and the expected duration of a run."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from flask import Config
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.grappes.candidates import gather_candidates
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.scope import campaign_scope
from matchmaker.models import Campaign, Declaration, Embarkation, Establishment, SolverRun
from matchmaker.ops.figures_cache import finess_version
from solver import types as st


def solver_figures(solution: st.Solution) -> dict[str, Any]:
    """The figures of a solution kept in the run's stats: the gap to the lower bound valid
    for the whole problem, whether a wall-time guard cut the run short, its time budget."""
    return {
        "global_bound": solution.global_bound,
        "global_gap": solution.global_gap,
        "cut_short": solution.cut_short,
        "time_limit_s": solution.time_limit_s,
        "uncoverable": solution.n_uncoverable,
    }


def global_gap_of(run: SolverRun) -> float | None:
    """The run's gap to the global lower bound (None for runs made before it existed)."""
    value = (run.stats or {}).get("global_gap")
    return float(value) if value is not None else None


def cut_short_of(run: SolverRun) -> bool:
    """Whether a wall-time guard stopped the run (its best solution was kept)."""
    return bool((run.stats or {}).get("cut_short"))


def interest_version(session: Session, campaign: Campaign) -> Hashable:
    """What :func:`interest_count` reads, read cheaply: the campaign's scope, its
    declarations (rows are added or superseded: count and last id move), the latest
    FINESS import and the last change of establishments, and the embarkation lists."""

    def shape(*columns: Any, where: Any = True) -> tuple[Any, ...]:
        return tuple(session.execute(select(*columns).where(where)).one())

    return (
        campaign.id,
        tuple(campaign_scope(campaign)),
        shape(
            func.count(Declaration.id),
            func.max(Declaration.id),
            where=Declaration.campaign_id == campaign.id,
        ),
        finess_version(session),
        shape(func.count(Establishment.finess_et), func.max(Establishment.updated_at)),
        shape(func.count(Embarkation.id), func.max(Embarkation.id)),
    )


def interest_count(session: Session, campaign: Campaign) -> int:
    """Number of candidates of an « interest » run of the campaign (for the expected time)."""
    found = gather_candidates(
        session, campaign_id=campaign.id, mode="interest", departments=campaign_scope(campaign)
    )
    return len(found.candidates)


def expected_duration_s(
    config: Config | Mapping[str, Any],
    campaign_params: Mapping[str, Any] | None,
    n_candidates: int,
) -> float:
    """The time budget a run of `n_candidates` ESSMS will get (the user's limit, or one that
    follows the size of the run)."""
    return solve_params(config, campaign_params).effective_time_limit(n_candidates)
