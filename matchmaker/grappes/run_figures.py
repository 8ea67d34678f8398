"""A run's solver figures (issue 13): the gap to the global lower bound, whether a
wall-time guard cut the run short, its time budget, and the expected duration of a run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Config
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from matchmaker.grappes.params import solve_params
from matchmaker.grappes.scope import campaign_scope
from matchmaker.models import Campaign, Declaration, Embarkation, Establishment, SolverRun
from matchmaker.vocabulary import EmbarkationScheme
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


def interest_count(session: Session, campaign: Campaign) -> int:
    """Number of candidates of an « interest » run of the campaign (for the expected time),
    counted in the database by the rules of :func:`gather_candidates` in « interest »
    mode: open ESSMS of the scope with a current declaration that did not withdraw
    interest, neither funded by ESMS numérique (embarkation list or declaration) nor
    without coordinates (``tests/matchmaker/grappes/test_run_figures.py`` checks they agree)."""
    funded = select(Embarkation.finess_et).where(
        Embarkation.scheme == EmbarkationScheme.ESMS_NUMERIQUE
    )
    query = (
        select(func.count())
        .select_from(Establishment)
        .join(
            Declaration,
            and_(
                Declaration.finess_et == Establishment.finess_et,
                Declaration.campaign_id == campaign.id,
                Declaration.is_current.is_(True),
            ),
        )
        .where(
            Establishment.is_open.is_(True),
            Establishment.is_essms.is_(True),
            Establishment.latitude.is_not(None),
            Establishment.longitude.is_not(None),
            Declaration.interested.is_not(False),
            Declaration.already_funded.is_not(True),
            Establishment.finess_et.not_in(funded),
        )
    )
    departments = campaign_scope(campaign)
    if departments:
        query = query.where(Establishment.department.in_(departments))
    return int(session.scalar(query) or 0)


def expected_duration_s(
    config: Config | Mapping[str, Any],
    campaign_params: Mapping[str, Any] | None,
    n_candidates: int,
) -> float:
    """The time budget a run of `n_candidates` ESSMS will get (the user's limit, or one that
    follows the size of the run)."""
    return solve_params(config, campaign_params).effective_time_limit(n_candidates)
