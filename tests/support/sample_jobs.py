"""Job functions used by the job tests (registered under ``test.*`` kinds)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.jobs import JobContext, JobError, job, registry
from matchmaker.models import AuditEvent, Job

#: Set by ``test.wait_for_cancel`` once it runs.
STARTED = threading.Event()
#: How long ``test.wait_for_cancel`` waits for a cancellation before failing, in seconds.
CANCEL_PATIENCE_S = 30


def written_by(session: Session, job_id: int) -> list[AuditEvent]:
    """The marker rows a test job wrote (to check commit and rollback)."""
    return [
        event
        for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "test_written"))
        if event.details.get("job") == job_id
    ]


def _mark(ctx: JobContext) -> None:
    ctx.session.add(AuditEvent(actor="job", action="test_written", details={"job": ctx.job_id}))
    ctx.session.flush()


@job("test.succeed")
def succeed(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(0.5, "À mi-chemin")
    # What the site reads meanwhile, through a connection of its own.
    with Session(ctx.engine) as site:
        seen = site.get(Job, ctx.job_id)
        assert seen is not None
        seen_progress, seen_message, seen_status = seen.progress, seen.message, seen.status
    _mark(ctx)
    return {
        "seen_progress": seen_progress,
        "seen_message": seen_message,
        "seen_status": seen_status,
        "echo": ctx.params.get("echo"),
        "user_email": ctx.user.email if ctx.user is not None else None,
    }


@job("test.fail_domain")
def fail_domain(ctx: JobContext) -> None:
    raise JobError("Le fichier « declarations.csv » est vide.")


@job("test.fail_unexpected")
def fail_unexpected(ctx: JobContext) -> None:
    _mark(ctx)
    raise KeyError("colonne_finess")


@job("test.bad_result")
def bad_result(ctx: JobContext) -> Any:
    return ["not", "a", "mapping"]


@job("test.wait_for_cancel")
def wait_for_cancel(ctx: JobContext) -> None:
    ctx.progress(0.1, "Démarré")
    STARTED.set()
    deadline = time.monotonic() + CANCEL_PATIENCE_S
    while time.monotonic() < deadline:
        ctx.check_cancelled()
        time.sleep(0.02)
    raise JobError("La tâche n'a jamais été annulée.")


# --- slow jobs for the tests that kill real processes --------------------------------------


def _wait(ctx: JobContext) -> None:
    """Wait ``params["wait_s"]`` seconds, reporting progress (and so honouring a cancel)."""
    deadline = time.monotonic() + float(ctx.params.get("wait_s", 60))
    ctx.progress(0.01, "Attente délibérée (test)…")
    ctx.session.commit()
    while time.monotonic() < deadline:
        ctx.progress(0.02, "Attente délibérée (test)…")
        time.sleep(0.05)


def _follow_as(kind: str) -> Callable[[Session, Mapping[str, Any], str, str], None]:
    """The ``on_abandon`` hook of the real ``kind``: its run or upload follows the job."""

    def hook(session: Session, params: Mapping[str, Any], status: str, reason: str) -> None:
        real = registry.abandon_hook(kind)
        assert real is not None
        real(session, params, status, reason)

    return hook


@job("test.slow_solve", on_abandon=_follow_as("campaign.solve"))
def slow_solve(ctx: JobContext) -> Mapping[str, Any] | None:
    """The real solve of ``params["run_id"]``, after a deliberate wait."""
    _wait(ctx)
    return registry.get("campaign.solve")(ctx)


@job("test.solve_synthetic")
def solve_synthetic(ctx: JobContext) -> Mapping[str, Any]:
    """A long solve with two worker processes (a synthetic region of 3,000 ESSMS, budget
    ``params["time_limit_s"]``), reporting progress: the process running it is killed
    while its solver workers run."""
    from dataclasses import replace

    from solver import SolveParams, solve
    from solver.synthetic import generate

    instance = generate(n=3000, seed=3)
    params = replace(
        SolveParams(), time_limit_s=float(ctx.params.get("time_limit_s", 300)), num_workers=2
    )
    solution = solve(instance.candidates, params, progress=ctx.progress)
    return {"grappes": len(solution.grappes)}


@job("test.slow_load", on_abandon=_follow_as("campaign.load_upload"))
def slow_load(ctx: JobContext) -> Mapping[str, Any] | None:
    """The real import of ``params["upload_id"]``, after a deliberate wait."""
    _wait(ctx)
    return registry.get("campaign.load_upload")(ctx)


@job("test.ignore_cancel")
def ignore_cancel(ctx: JobContext) -> None:
    """Runs ``params["wait_s"]`` seconds without ever checking for a cancellation, then
    writes a marker row (which must never be committed once the job was stopped)."""
    ctx.progress(0.1, "Sourde aux annulations")
    ctx.session.commit()
    time.sleep(float(ctx.params.get("wait_s", 60)))
    _mark(ctx)
