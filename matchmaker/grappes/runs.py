"""Executing a solver run: the orchestration shared by the CLI and background jobs.

Unlike services, this commits: the run's status and progress are committed as they change,
so that the site (another thread or process) can show them while the solver works. The
results are written in one final transaction, with the status « succeeded », progress 1 and
the « Terminé » message: a run never looks done without its grappes. Progress committed
while solving stays below `SOLVING_SHARE`. A run interrupted (SIGTERM, SIGINT, a cancel
raised by the progress callback) ends failed with its cause, never ``running``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import FrameType

from sqlalchemy.orm import Session

import solver
from matchmaker.audit import services as audit
from matchmaker.formatting import percent
from matchmaker.grappes import freshness, identity
from matchmaker.grappes.candidates import gather_candidates
from matchmaker.grappes.carriers import apply_chosen_carriers, chosen_carriers
from matchmaker.grappes.locks import solver_locks
from matchmaker.grappes.params import params_of
from matchmaker.grappes.storage import previous_solution, store_solution
from matchmaker.jobs.context import JobCancelled
from matchmaker.models import SolverRun, User
from matchmaker.ops import logs
from matchmaker.vocabulary import RunStatus

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
#: Share of the progress bar for solving; storing the grappes takes the rest.
SOLVING_SHARE = 0.95


class RunInterrupted(BaseException):
    """The process running a solve received a stop signal (see `stop_on_signals`).

    A BaseException, like KeyboardInterrupt: no ``except Exception`` swallows it."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"calcul interrompu (signal {signal_name})")
        self.signal_name = signal_name


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While a command solves, SIGTERM and SIGINT raise `RunInterrupted` in the main thread
    (once: a second signal during the clean-up is ignored), so that the run is marked failed
    and the solver's processes killed before the process exits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGTERM, signal.SIGINT)

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        for one in signals:
            signal.signal(one, signal.SIG_IGN)
        raise RunInterrupted(signal.Signals(signum).name)

    previous = {one: signal.signal(one, interrupt) for one in signals}
    try:
        yield
    finally:
        for one, handler in previous.items():
            signal.signal(one, handler)


def failure_text(error: BaseException, where: str) -> str:
    """What a failed run says about its cause, in French (never SQL or parameters: an
    unexpected error gives a reference, its traceback goes to the log)."""
    if isinstance(error, RunInterrupted):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        return "calcul interrompu (signal SIGINT)"
    if isinstance(error, SystemExit):
        return "calcul interrompu (arrêt du processus)"
    return logs.public_error(error, where)


def execute_run(session: Session, run: SolverRun, progress: Progress | None = None) -> SolverRun:
    """Gather the candidates, solve, store the results; the run ends ``succeeded`` or
    ``failed`` (with its cause), never ``running``."""
    run.status = RunStatus.RUNNING
    run.started_at = datetime.now(UTC)
    run.progress = 0.0
    run.progress_message = "Préparation des candidats"
    run.stats = {freshness.STATS_KEY: freshness.declarations_state(session, run.campaign_id)}
    session.commit()
    try:
        candidates = gather_candidates(
            session, campaign_id=run.campaign_id, mode=run.mode, departments=list(run.scope)
        )
        locks = solver_locks(session, run.campaign_id)
        parent = session.get(SolverRun, run.parent_run_id) if run.parent_run_id else None
        previous = previous_solution(parent)

        used = run.stats[freshness.STATS_KEY]

        def report(fraction: float, message: str) -> None:
            share = round(SOLVING_SHARE * min(max(fraction, 0.0), 1.0), 4)
            run.progress = share
            run.progress_message = message[:200]
            session.commit()
            if progress is not None:
                progress(share, message)

        result = solver.solve(
            candidates.candidates,
            params_of(run),
            locks=locks,
            previous=previous,
            progress=report,
        )
        result = apply_chosen_carriers(result, chosen_carriers(session, run.campaign_id))
        report(1.0, "Enregistrement des grappes")
        frozen = [lock.key for lock in locks if isinstance(lock, solver.types.FrozenGrappe)]
        store_solution(session, run, candidates, result, frozen_keys=frozen)
        run.stats = {**run.stats, freshness.STATS_KEY: used}
        identity.link_to_published(session, run)
        # one transaction: the grappes, the status, progress 1 and « Terminé »
        run.status = RunStatus.SUCCEEDED
        run.progress = 1.0
        run.progress_message = (
            f"Terminé : {len(result.grappes)} grappes, couverture {percent(result.coverage)}"
        )
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
    except JobCancelled:
        # A user's cancel: nothing of the solve is kept, the run ends « annulé ».
        session.rollback()
        logger.info("solver run %s cancelled", run.id)
        run.status = RunStatus.CANCELLED
        run.error = None
        run.progress_message = "Annulé à la demande."
        run.finished_at = datetime.now(UTC)
        session.commit()
        raise
    except BaseException as error:
        session.rollback()
        logger.exception("solver run %s failed", run.id)
        run.status = RunStatus.FAILED
        run.error = failure_text(error, f"run {run.id}")
        run.finished_at = datetime.now(UTC)
        session.commit()
        raise
    return run
