"""Executing a solver run: the orchestration shared by the CLI and background jobs.

Unlike services, this commits: the run's status and progress are committed as they change,
so that the site (another thread or process) can show them while the solver works. The
results are written in one final transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

import solver
from matchmaker.audit import services as audit
from matchmaker.grappes import identity
from matchmaker.grappes.candidates import gather_candidates
from matchmaker.grappes.carriers import apply_chosen_carriers, chosen_carriers
from matchmaker.grappes.locks import solver_locks
from matchmaker.grappes.params import params_of
from matchmaker.grappes.storage import previous_solution, store_solution
from matchmaker.models import SolverRun, User
from matchmaker.ops import logs
from matchmaker.vocabulary import RunStatus

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


def execute_run(session: Session, run: SolverRun, progress: Progress | None = None) -> SolverRun:
    """Gather the candidates, solve, store the results; the run ends ``succeeded`` or
    ``failed`` (with its cause), never ``running``."""
    run.status = RunStatus.RUNNING
    run.started_at = datetime.now(UTC)
    run.progress = 0.0
    run.progress_message = "Préparation des candidats"
    session.commit()
    try:
        candidates = gather_candidates(
            session, campaign_id=run.campaign_id, mode=run.mode, departments=list(run.scope)
        )
        locks = solver_locks(session, run.campaign_id)
        parent = session.get(SolverRun, run.parent_run_id) if run.parent_run_id else None
        previous = previous_solution(parent)

        def report(fraction: float, message: str) -> None:
            run.progress = round(min(max(fraction, 0.0), 1.0), 4)
            run.progress_message = message[:200]
            session.commit()
            if progress is not None:
                progress(fraction, message)

        result = solver.solve(
            candidates.candidates,
            params_of(run),
            locks=locks,
            previous=previous,
            progress=report,
        )
        result = apply_chosen_carriers(result, chosen_carriers(session, run.campaign_id))
        frozen = [lock.key for lock in locks if isinstance(lock, solver.types.FrozenGrappe)]
        store_solution(session, run, candidates, result, frozen_keys=frozen)
        identity.link_to_published(session, run)
        run.status = RunStatus.SUCCEEDED
        run.progress = 1.0
        run.progress_message = "Terminé"
        run.finished_at = datetime.now(UTC)
        actor = session.get(User, run.created_by_user_id) if run.created_by_user_id else None
        audit.record(
            session,
            actor,
            "run.finished",
            object_type="run",
            object_id=run.id,
            campaign_id=run.campaign_id,
            grappes=len(result.grappes),
            candidates=run.candidate_count,
            covered=run.covered_count,
        )
        session.commit()
    except Exception as error:
        session.rollback()
        logger.exception("solver run %s failed", run.id)
        run.status = RunStatus.FAILED
        run.error = logs.public_error(error, f"run {run.id}")  # never SQL or parameters
        run.finished_at = datetime.now(UTC)
        session.commit()
        raise
    return run
