"""Real processes killed in the middle of a job: an RQ work horse, an RQ worker with its
horse, the thread-backend server (gunicorn). Each time the job, and the run or upload it
works for, reach « échec » within the bound (twice the heartbeat plus the sweep interval,
small here), the page offers « relancer », and the relaunched job succeeds. Then the
cancellations a job ignores: its work horse is killed, its thread's work discarded.

Runs on the suite's database (SQLite, or PostgreSQL with ``GRAPPES_TEST_DATABASE_URL``) and
the machine's Redis (a queue of its own per test).
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.scope import campaign_scope
from matchmaker.grappes.storage import create_run
from matchmaker.jobs import runner
from matchmaker.jobs import services as job_services
from matchmaker.models import Job, SolverRun, Upload
from tests.helpers import PASSWORD, ROOT, CsrfClient, login
from tests.support import sample_jobs
from tests.support.desk import Desk, build_desk
from tests.support.jobs import MakeApp
from tests.support.processes import (
    Started,
    answers,
    armed,
    free_port,
    is_alive,
    parent_of,
    solver_workers,
    wait_for,
)
from tests.support.processes import alive as solver_alive

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("GRAPPES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

#: Small timings so that the tests are short; the bound below derives from them.
HEARTBEAT_S = 0.5
STALE_AFTER_S = 2 * HEARTBEAT_S
SWEEP_INTERVAL_S = 0.5
CANCEL_GRACE_S = 1.0
#: The bound of the issue (twice the heartbeat, plus one sweep interval)…
BOUND_S = STALE_AFTER_S + SWEEP_INTERVAL_S
#: …plus what this test's polling and a loaded 2-core machine add to it.
SLACK_S = 4.0
TIMINGS: dict[str, Any] = {
    "JOB_HEARTBEAT_S": HEARTBEAT_S,
    "JOB_STALE_AFTER_S": STALE_AFTER_S,
    "JOB_SWEEP_INTERVAL_S": SWEEP_INTERVAL_S,
    "JOB_CANCEL_GRACE_S": CANCEL_GRACE_S,
    "JOB_POLL_INTERVAL_S": 0.2,
    "SOLVER_TIME_LIMIT_S": 20,
    "SOLVER_SEED": 1,
    "SOLVER_WORKERS": 1,
}
#: Long enough for a slow job to be killed in its wait, never reached.
WAIT_S = 120


# --- processes ---------------------------------------------------------------------------


class Processes(Started):
    """The test's processes: the real worker and server of the jobs' tests."""

    def worker(self, name: str = "worker") -> subprocess.Popen[bytes]:
        """The real ``grappes worker`` (with the test job kinds registered)."""
        return self.start(name, [sys.executable, "-m", "tests.support.job_server", "worker"])

    def server(self, name: str = "server") -> tuple[subprocess.Popen[bytes], str]:
        """gunicorn serving the app (thread backend), one worker; its URL once it answers."""
        port = free_port()
        process = self.start(
            name,
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "120",
                "tests.support.job_server:create_app()",
            ],
        )
        url = f"http://127.0.0.1:{port}"
        self.wait_ready(name, process, f"{url}/sante", 60)
        return process, url


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue of its own on the real Redis; skipped locally (failed in CI) without it."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    name = f"grappes-test-{uuid.uuid4().hex[:12]}"
    yield name
    from rq import Queue

    Queue(name, connection=connection).delete(delete_jobs=True)
    connection.close()


@pytest.fixture
def processes(committed_database_url: str, tmp_path: Path) -> Iterator[Processes]:
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": committed_database_url,
        "SECRET_KEY": uuid.uuid4().hex,
        "GRAPPES_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "GRAPPES_SESSION_COOKIE_SECURE": "false",
        "GRAPPES_RATELIMIT_STORAGE_URI": "memory://",
        **{f"GRAPPES_{name}": str(value) for name, value in TIMINGS.items()},
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    found = Processes(env, logs)
    try:
        yield found
    finally:
        found.stop_all()


@dataclass
class Console:
    app: Flask
    desk: Desk
    client: CsrfClient
    #: FINESS of the ESSMS of the desk's first grappe (declared again by the test file).
    alpha: list[str]

    def job(self, job_id: int) -> Job:
        with self.app.app_context(), Session(db.engine) as session:
            job = session.get(Job, job_id)
            assert job is not None
            session.expunge(job)
            return job

    def run(self, run_id: int) -> SolverRun:
        with self.app.app_context(), Session(db.engine) as session:
            run = session.get(SolverRun, run_id)
            assert run is not None
            session.expunge(run)
            return run

    def upload(self, upload_id: int) -> Upload:
        with self.app.app_context(), Session(db.engine) as session:
            upload = session.get(Upload, upload_id)
            assert upload is not None
            session.expunge(upload)
            return upload

    def page(self, path: str) -> str:
        response = self.client.get(f"/console/campagnes/{self.desk.campaign.id}{path}")
        assert response.status_code == 200, response.status_code
        return html.unescape(response.get_data(as_text=True))

    def slow_run(self) -> tuple[int, int]:
        """A queued run whose job (``test.slow_solve``) waits, then solves for real."""
        with self.app.app_context():
            campaign = db.session.merge(self.desk.campaign)
            owner = db.session.merge(self.desk.owner)
            run = create_run(
                db.session,
                campaign=campaign,
                mode="interest",
                departments=campaign_scope(campaign),
                params=solve_params(self.app.config, campaign.solver_params),
                user_id=owner.id,
            )
            job = job_services.enqueue(
                db.session,
                "test.slow_solve",
                {"run_id": run.id, "wait_s": WAIT_S},
                owner,
                campaign_id=campaign.id,
            )
            run.job_id = job.id
            db.session.commit()
            return run.id, job.id

    def slow_import(self) -> tuple[int, int]:
        """A previewed declarations upload whose import job (``test.slow_load``) waits,
        then imports for real."""
        lines = ["finess_et;editeur;statut_dui"]
        lines += [f"{finess};Alpha Santé;référencé Ségur" for finess in self.alpha]
        response = self.client.post(
            f"/console/campagnes/{self.desk.campaign.id}/fichiers",
            data={"kind": "declarations", "file": (_bytes_io(lines), "déclarations.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        with self.app.app_context():
            upload = db.session.scalars(select(Upload).order_by(Upload.id.desc())).one()
            upload_id, preview_job_id = upload.id, upload.preview_job_id
        assert preview_job_id is not None
        # The preview, as ``grappes worker`` would run it, here and now.
        assert runner.execute(self.app, preview_job_id) == "succeeded"
        with self.app.app_context():
            upload = db.session.get(Upload, upload_id)
            assert upload is not None
            assert upload.status == "previewed", upload.preview
            owner = db.session.merge(self.desk.owner)
            job = job_services.enqueue(
                db.session,
                "test.slow_load",
                {"upload_id": upload.id, "wait_s": WAIT_S},
                owner,
                campaign_id=upload.campaign_id,
            )
            upload.status, upload.load_job_id = "loading", job.id
            db.session.commit()
            return upload.id, job.id

    def wait_running(self, job_id: int, processes: Processes, log: str) -> Job:
        """The job once its process is in the deliberate wait."""
        wait_for(
            lambda: (self.job(job_id).message or "").startswith("Attente délibérée"),
            60,
            lambda: f"job {job_id} never started: {self.job(job_id)}\n{processes.tail(log)}",
        )
        job = self.job(job_id)
        assert job.status == "running" and job.worker_pid is not None
        return job

    def wait_ended(self, job_id: int, timeout: float) -> float:
        return wait_for(
            lambda: self.job(job_id).status in ("failed", "cancelled", "succeeded"),
            timeout,
            lambda: f"job {job_id} still {self.job(job_id).status} after {timeout} s",
        )


def _bytes_io(lines: list[str]) -> Any:
    import io

    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


@pytest.fixture
def console_of(make_app: MakeApp) -> Iterator[Callable[..., Console]]:
    clients: list[CsrfClient] = []

    def build(**config: Any) -> Console:
        app = make_app(**TIMINGS, **config)
        with app.app_context():
            desk = build_desk(db.session, app.config)
            db.session.commit()
            alpha = [member.finess_et for member in desk.alpha.members]
            db.session.expunge_all()
        client = CsrfClient(app, app.response_class, use_cookies=True)
        clients.append(client)
        login(client, desk.owner)
        return Console(app, desk, client, alpha)

    yield build


# --- RQ ----------------------------------------------------------------------------------


def test_a_killed_work_horse_fails_its_run_at_once_and_the_run_can_be_relaunched(
    console_of: Callable[..., Console], processes: Processes, redis_queue: str
) -> None:
    console = console_of(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue)
    processes.env.update(REDIS_URL=REDIS_URL, GRAPPES_JOB_RQ_QUEUE=redis_queue)
    worker = processes.worker()
    run_id, job_id = console.slow_run()
    horse = console.wait_running(job_id, processes, "worker").worker_pid
    assert horse is not None and horse != worker.pid
    assert parent_of(horse) == worker.pid  # the work horse, forked by the worker

    os.kill(horse, signal.SIGKILL)
    took = console.wait_ended(job_id, BOUND_S + SLACK_S)

    job, run = console.job(job_id), console.run(run_id)
    assert job.status == "failed" and job.error is not None and "interrompue" in job.error
    assert run.status == "failed" and run.error is not None and "interrompue" in run.error
    assert worker.poll() is None, "the worker survives its horse"
    page = console.page(f"/calculs/{run_id}")
    assert "échoué" in page and "Relancer le calcul" in page
    print(f"horse killed: job failed after {took:.2f} s (bound {BOUND_S} s)")

    response = console.client.post(
        f"/console/campagnes/{console.desk.campaign.id}/calculs/{run_id}/relancer"
    )
    assert response.status_code == 302
    new_run_id = int(re.findall(r"/calculs/(\d+)", response.headers["Location"])[0])
    assert new_run_id != run_id
    new_job_id = console.run(new_run_id).job_id
    assert new_job_id is not None and new_job_id != job_id
    console.wait_ended(new_job_id, 120)
    assert console.job(new_job_id).status == "succeeded", console.job(new_job_id).error
    assert console.run(new_run_id).status == "succeeded"


def test_a_worker_killed_with_its_horse_fails_the_upload_when_a_worker_restarts(
    console_of: Callable[..., Console], processes: Processes, redis_queue: str
) -> None:
    console = console_of(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue)
    processes.env.update(REDIS_URL=REDIS_URL, GRAPPES_JOB_RQ_QUEUE=redis_queue)
    upload_id, job_id = console.slow_import()
    worker = processes.worker()
    horse = console.wait_running(job_id, processes, "worker").worker_pid
    assert horse is not None and parent_of(horse) == worker.pid

    os.kill(worker.pid, signal.SIGKILL)
    os.kill(horse, signal.SIGKILL)
    worker.wait(timeout=10)
    wait_for(lambda: not is_alive(horse), 10, "the work horse survived SIGKILL")
    # A supervisor restarts the worker at once (long before any 120 s).
    processes.worker("worker-2")
    took = console.wait_ended(job_id, 30 + BOUND_S + SLACK_S)  # the restart's boot included

    job, upload = console.job(job_id), console.upload(upload_id)
    assert job.status == "failed" and job.error is not None and "interrompue" in job.error
    assert upload.status == "failed", upload.status
    page = console.page(f"/fichiers/{upload_id}")
    assert "échec de l'import" in page and "import en cours" not in page
    assert "Relancer l'import" in page and "Abandonner ce fichier" in page
    print(f"worker and horse killed: job failed {took:.2f} s after the restart")

    response = console.client.post(
        f"/console/campagnes/{console.desk.campaign.id}/fichiers/{upload_id}/relancer"
    )
    assert response.status_code == 302
    relaunched = console.upload(upload_id)
    assert relaunched.status == "loading" and relaunched.load_job_id not in (None, job_id)
    assert relaunched.load_job_id is not None
    console.wait_ended(relaunched.load_job_id, 120)
    assert console.job(relaunched.load_job_id).status == "succeeded"
    assert console.upload(upload_id).status == "loaded"


def test_with_every_worker_killed_the_site_itself_fails_the_run(
    console_of: Callable[..., Console], processes: Processes, redis_queue: str
) -> None:
    console = console_of(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue)
    processes.env.update(REDIS_URL=REDIS_URL, GRAPPES_JOB_RQ_QUEUE=redis_queue)
    _site, _url = processes.server("site")  # the site, on RQ: it runs no job itself
    worker = processes.worker()
    run_id, job_id = console.slow_run()
    horse = console.wait_running(job_id, processes, "worker").worker_pid
    assert horse is not None

    os.kill(worker.pid, signal.SIGKILL)
    os.kill(horse, signal.SIGKILL)
    worker.wait(timeout=10)
    took = console.wait_ended(job_id, BOUND_S + SLACK_S)  # no worker left: the site sweeps

    assert console.job(job_id).status == "failed"
    run = console.run(run_id)
    assert run.status == "failed" and run.error is not None and "interrompue" in run.error
    print(f"every worker killed: the site failed the job after {took:.2f} s")


def test_a_job_that_ignores_its_cancellation_has_its_work_horse_killed(
    console_of: Callable[..., Console], processes: Processes, redis_queue: str
) -> None:
    console = console_of(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue)
    processes.env.update(REDIS_URL=REDIS_URL, GRAPPES_JOB_RQ_QUEUE=redis_queue)
    worker = processes.worker()
    with console.app.app_context():
        owner = db.session.merge(console.desk.owner)
        job_id = job_services.enqueue(
            db.session, "test.ignore_cancel", {"wait_s": WAIT_S}, owner
        ).id
        db.session.commit()
    wait_for(
        lambda: console.job(job_id).message == "Sourde aux annulations",
        60,
        processes.tail("worker"),
    )
    horse = console.job(job_id).worker_pid
    assert horse is not None and is_alive(horse)

    with console.app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        job_services.cancel(db.session, job, None)
        db.session.commit()
    took = console.wait_ended(job_id, CANCEL_GRACE_S + SWEEP_INTERVAL_S + SLACK_S)

    assert console.job(job_id).status == "cancelled"
    wait_for(lambda: not is_alive(horse), 10, "the work horse still runs")
    assert worker.poll() is None
    with console.app.app_context():
        assert sample_jobs.written_by(db.session, job_id) == []
    print(f"ignored cancellation: job stopped after {took:.2f} s")


# --- the thread backend: the site's own process ------------------------------------------


def _http_login(url: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/connexion", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    response = session.post(
        f"{url}/connexion",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def test_a_killed_server_fails_its_import_when_it_restarts_and_the_import_can_be_relaunched(
    console_of: Callable[..., Console], processes: Processes
) -> None:
    console = console_of(JOB_BACKEND="worker")  # this process runs nothing by itself
    processes.env.update(GRAPPES_JOB_BACKEND="thread")
    upload_id, job_id = console.slow_import()
    server, _url = processes.server()
    running = console.wait_running(job_id, processes, "server")
    assert running.worker_pid is not None and running.worker_pid != server.pid

    os.killpg(server.pid, signal.SIGKILL)  # gunicorn's master and its worker
    server.wait(timeout=10)
    wait_for(lambda: not is_alive(running.worker_pid or 0), 10, "gunicorn's worker survived")
    assert console.job(job_id).status == "running"  # nobody left to notice, yet

    _server, url = processes.server("server-2")
    took = console.wait_ended(job_id, BOUND_S + SLACK_S)

    job, upload = console.job(job_id), console.upload(upload_id)
    assert job.status == "failed" and job.error is not None and "interrompue" in job.error
    assert upload.status == "failed"
    print(f"server killed: job failed {took:.2f} s after the restarted server answered")

    http = _http_login(url, console.desk.owner.email)
    page_url = f"{url}/console/campagnes/{console.desk.campaign.id}/fichiers/{upload_id}"
    page = html.unescape(http.get(page_url, timeout=30).text)
    assert "échec de l'import" in page and "Relancer l'import" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    response = http.post(
        f"{page_url}/relancer",
        data={"csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    relaunched = console.upload(upload_id)
    assert relaunched.load_job_id is not None and relaunched.load_job_id != job_id
    console.wait_ended(relaunched.load_job_id, 120)
    assert console.job(relaunched.load_job_id).status == "succeeded"
    assert console.upload(upload_id).status == "loaded"


# --- the solver's own worker processes ---------------------------------------------------


def _enqueue_synthetic_solve(console: Console) -> int:
    """A job solving a synthetic region with two solver workers, for minutes."""
    with console.app.app_context():
        owner = db.session.merge(console.desk.owner)
        job = job_services.enqueue(db.session, "test.solve_synthetic", {"time_limit_s": 300}, owner)
        db.session.commit()
        return job.id


def _armed_solver_workers(
    console: Console, job_id: int, processes: Processes, log: str
) -> tuple[int, list[int]]:
    """Once the job's process runs its two solver workers: that process and their pids."""
    found: list[int] = []

    def armed_workers() -> bool:
        pid = console.job(job_id).worker_pid
        found[:] = solver_workers(pid) if pid is not None else []
        return len(found) == 2 and armed(found)

    wait_for(
        armed_workers, 120, lambda: f"job {job_id} has no solver workers\n{processes.tail(log)}"
    )
    pid = console.job(job_id).worker_pid
    assert pid is not None
    return pid, list(found)


def test_a_work_horse_killed_while_it_solves_leaves_no_solver_process(
    console_of: Callable[..., Console], processes: Processes, redis_queue: str
) -> None:
    console = console_of(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue)
    processes.env.update(REDIS_URL=REDIS_URL, GRAPPES_JOB_RQ_QUEUE=redis_queue)
    worker = processes.worker()
    job_id = _enqueue_synthetic_solve(console)
    horse, workers = _armed_solver_workers(console, job_id, processes, "worker")
    assert parent_of(horse) == worker.pid

    os.kill(horse, signal.SIGKILL)
    console.wait_ended(job_id, BOUND_S + SLACK_S)
    assert console.job(job_id).status == "failed"
    wait_for(
        lambda: not solver_alive(workers),
        5,
        lambda: f"solver workers outlived their work horse: {solver_alive(workers)}",
    )
    assert worker.poll() is None, "the worker survives its horse"


def test_a_server_worker_killed_while_it_solves_leaves_no_solver_process(
    console_of: Callable[..., Console], processes: Processes
) -> None:
    """The thread backend: gunicorn's worker runs the solve in a thread of its own process;
    killed, its solver workers die with it, and the next worker fails the job."""
    console = console_of(JOB_BACKEND="worker")  # this process runs nothing by itself
    processes.env.update(GRAPPES_JOB_BACKEND="thread")
    job_id = _enqueue_synthetic_solve(console)
    server, url = processes.server()
    serving, workers = _armed_solver_workers(console, job_id, processes, "server")
    assert serving != server.pid and parent_of(serving) == server.pid

    os.kill(serving, signal.SIGKILL)  # the worker only: gunicorn's master starts another
    wait_for(
        lambda: not solver_alive(workers),
        5,
        lambda: f"solver workers outlived the server's worker: {solver_alive(workers)}",
    )
    wait_for(lambda: answers(f"{url}/sante"), 60, lambda: processes.tail("server"))
    console.wait_ended(job_id, BOUND_S + SLACK_S)
    job = console.job(job_id)
    assert job.status == "failed" and job.error is not None and "interrompue" in job.error
