"""The sweep, continuously: jobs of dead processes failed while the runner keeps running
(not only when one starts), cancellations a thread job ignores enforced, and the operator's
``grappes jobs`` list and ``clear``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs import backends, state, sweep
from matchmaker.jobs import services as job_services
from matchmaker.models import Job, SolverRun
from tests.support import sample_jobs
from tests.support.jobs import MakeApp

FAST = {
    "JOB_HEARTBEAT_S": 0.2,
    "JOB_STALE_AFTER_S": 0.5,
    "JOB_SWEEP_INTERVAL_S": 0.2,
    "JOB_CANCEL_GRACE_S": 0.5,
}


def _job(app: Flask, job_id: int) -> Job:
    with app.app_context(), Session(db.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _running(
    app: Flask,
    *,
    host: str | None,
    pid: int | None,
    silent_for: timedelta,
    kind: str = "test.succeed",
    params: dict[str, object] | None = None,
) -> int:
    now = datetime.now(UTC)
    with app.app_context():
        job = Job(
            kind=kind,
            params=params or {},
            status="running",
            backend="thread",
            started_at=now - silent_for,
            heartbeat_at=now - silent_for,
            worker_host=host,
            worker_pid=pid,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _dead_pid() -> int:
    """The pid of a process of this machine that has ended (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _wait_status(app: Flask, job_id: int, status: str, timeout: float) -> float:
    start = time.monotonic()
    while _job(app, job_id).status != status:
        assert time.monotonic() - start < timeout, _job(app, job_id)
        time.sleep(0.05)
    return time.monotonic() - start


def test_the_embedded_runner_keeps_sweeping_after_it_started(make_app: MakeApp) -> None:
    app = make_app(JOB_BACKEND="thread", **FAST)
    backends.EmbeddedRunner.for_app(app)  # started, swept once: nothing to do then
    silent_elsewhere = _running(app, host="une-autre-machine", pid=1, silent_for=timedelta(0))
    gone_here = _running(app, host=state.HOST, pid=_dead_pid(), silent_for=timedelta(0))
    alive_elsewhere = _running(app, host="une-autre-machine", pid=1, silent_for=timedelta(0))

    # The process of this machine is gone: failed at the next pass, heartbeat or not.
    _wait_status(app, gone_here, "failed", 5)
    assert _job(app, gone_here).error == state.PROCESS_GONE_ERROR
    # The other machine's jobs: failed once silent for longer than JOB_STALE_AFTER_S.
    with app.app_context():
        db.session.query(Job).filter(Job.id == alive_elsewhere).update(
            {"heartbeat_at": datetime.now(UTC) + timedelta(hours=1)}
        )
        db.session.commit()
    took = _wait_status(app, silent_elsewhere, "failed", 5)
    assert took < 0.5 + 0.2 + 2  # the bound, plus this test's polling on a loaded machine
    assert "interrompue" in (_job(app, silent_elsewhere).error or "")
    assert _job(app, alive_elsewhere).status == "running"


def test_a_live_process_of_this_machine_is_given_patience(make_app: MakeApp) -> None:
    app = make_app(JOB_STALE_AFTER_S=60)
    now = datetime.now(UTC)
    with app.app_context():
        job = Job(kind="test.succeed", status="running", worker_host=state.HOST)
        job.worker_pid = os.getpid()
        job.heartbeat_at = now - timedelta(seconds=120)
        assert state.stale_reason(job, 60, now) is None  # alive, silent for 2 min
        job.heartbeat_at = now - timedelta(seconds=60 * state.LIVE_PATIENCE + 1)
        assert state.stale_reason(job, 60, now) is not None
        assert state.stale_reason(job, 60, now, sqlite=True) is None  # no heartbeat expected
        job.worker_host = "une-autre-machine"
        job.heartbeat_at = now - timedelta(seconds=61)
        assert state.stale_reason(job, 60, now) is not None


def test_a_thread_job_that_ignores_its_cancellation_is_stopped_and_its_work_discarded(
    make_app: MakeApp,
) -> None:
    app = make_app(JOB_BACKEND="thread", **FAST)
    with app.app_context():
        job_id = job_services.enqueue(db.session, "test.ignore_cancel", {"wait_s": 3}).id
        db.session.commit()
    embedded = backends.EmbeddedRunner.for_app(app)
    start = time.monotonic()
    while _job(app, job_id).message != "Sourde aux annulations":
        assert time.monotonic() - start < 30
        time.sleep(0.05)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        job_services.cancel(db.session, job, None)
        db.session.commit()

    took = _wait_status(app, job_id, "cancelled", 5)
    assert took < 0.5 + 0.2 + 2
    assert _job(app, job_id).message == state.STOPPED_MESSAGE
    assert embedded.wait(timeout=30)  # the thread ran to its end…
    assert _job(app, job_id).status == "cancelled"
    with app.app_context():
        assert sample_jobs.written_by(db.session, job_id) == []  # …and its work was discarded


def test_grappes_jobs_lists_and_clears_stuck_jobs(make_app: MakeApp) -> None:
    app = make_app(JOB_STALE_AFTER_S=60)
    with app.app_context():
        run = SolverRun(status="running", scope=["35"], mode="planning")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    stuck = _running(
        app,
        host="une-autre-machine",
        pid=4242,
        silent_for=timedelta(hours=2),
        kind="campaign.solve",
        params={"run_id": run_id},
    )
    fine = _running(app, host="une-autre-machine", pid=4243, silent_for=timedelta(seconds=1))
    cli = app.test_cli_runner()

    listing = cli.invoke(args=["jobs"])
    assert listing.exit_code == 0, listing.output
    lines = {line.split("\t")[0]: line for line in listing.output.splitlines()}
    assert "campaign.solve" in lines[str(stuck)] and "bloquée" in lines[str(stuck)]
    assert "une-autre-machine:4242" in lines[str(stuck)] and "2 h 00" in lines[str(stuck)]
    assert "bloquée" not in lines[str(fine)]

    cleared = cli.invoke(args=["jobs", "clear", "--stale"])
    assert cleared.exit_code == 0, cleared.output
    assert f"n° {stuck}" in cleared.output
    assert _job(app, stuck).status == "failed" and _job(app, fine).status == "running"
    with app.app_context():
        followed = db.session.get(SolverRun, run_id)
        assert followed is not None and followed.status == "failed"
        assert followed.error is not None and "interrompue" in followed.error

    by_id = cli.invoke(args=["jobs", "clear", str(fine)])
    assert by_id.exit_code == 0, by_id.output
    job = _job(app, fine)
    assert job.status == "failed" and job.error is not None and "opérateur" in job.error
    again = cli.invoke(args=["jobs", "clear", str(fine)])
    assert again.exit_code != 0 and "déjà terminée" in again.output
    assert cli.invoke(args=["jobs", "clear"]).exit_code != 0
    assert "Aucune tâche" in cli.invoke(args=["jobs"]).output


def test_a_sweep_pass_is_idempotent(make_app: MakeApp) -> None:
    app = make_app(JOB_STALE_AFTER_S=60)
    dead = _running(app, host="une-autre-machine", pid=1, silent_for=timedelta(hours=1))
    with app.app_context():
        assert sweep.sweep(app) == [dead]
        assert sweep.sweep(app) == []
