"""The pages of job-backed objects always reach a final state with « relancer » and
« abandonner »: a run whose job ended (or died) without it, an upload whose import job
failed, a stuck run cleared from the console; ``SolverRun.job_id`` points at the job."""

from __future__ import annotations

import html
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.scope import campaign_scope
from matchmaker.grappes.storage import create_run
from matchmaker.jobs import backends
from matchmaker.jobs import services as job_services
from matchmaker.models import Job, SolverRun, Upload
from tests.helpers import CsrfClient, login
from tests.support import sample_jobs  # noqa: F401  (registers the test.* kinds)
from tests.support.desk import build_desk
from tests.support.jobs import MakeApp


@dataclass
class Console:
    app: Flask
    client: CsrfClient
    base: str
    alpha: list[str]

    def page(self, path: str) -> str:
        response = self.client.get(f"{self.base}{path}")
        assert response.status_code == 200
        return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def console(make_app: MakeApp) -> Iterator[Console]:
    app = make_app(SOLVER_TIME_LIMIT_S=20, SOLVER_SEED=1)
    with app.app_context():
        desk = build_desk(db.session, app.config)
        db.session.commit()
        alpha = [member.finess_et for member in desk.alpha.members]
        base = f"/console/campagnes/{desk.campaign.id}"
        db.session.expunge_all()
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        login(client, desk.owner)
        yield Console(app, client, base, alpha)


def _latest(app: Flask, model: type[SolverRun] | type[Upload]) -> int:
    with app.app_context():
        found = db.session.scalars(select(model.id).order_by(model.id.desc())).first()
        assert found is not None
        return int(found)


def _set_job(app: Flask, job_id: int, **values: object) -> None:
    with app.app_context():
        db.session.query(Job).filter(Job.id == job_id).update(values)
        db.session.commit()


def test_a_run_whose_job_died_shows_its_failure_and_can_be_relaunched(console: Console) -> None:
    app = console.app
    assert (
        console.client.post(f"{console.base}/calculs", data={"mode": "interest"}).status_code == 302
    )
    run_id = _latest(app, SolverRun)
    with app.app_context():
        run = db.session.get(SolverRun, run_id)
        assert run is not None and run.job is not None
        assert run.job.params == {"run_id": run_id} and run.job.kind == "campaign.solve"
        job_id = run.job.id
    page = console.page(f"/calculs/{run_id}")
    assert "Abandonner le calcul" in page and "Relancer le calcul" not in page

    # The job died without its hook having run (the run still « en attente »).
    _set_job(app, job_id, status="failed", error="Tâche interrompue : le processus s'est arrêté.")
    page = console.page(f"/calculs/{run_id}")
    assert ">échoué</strong>" in page and "Tâche interrompue" in page
    assert "Relancer le calcul" in page and "Abandonner le calcul" not in page

    response = console.client.post(f"{console.base}/calculs/{run_id}/relancer")
    assert response.status_code == 302
    new_run_id = _latest(app, SolverRun)
    assert new_run_id != run_id and response.headers["Location"].endswith(f"/calculs/{new_run_id}")
    assert backends.work(app, burst=True) == 1
    with app.app_context():
        new_run = db.session.get(SolverRun, new_run_id)
        assert new_run is not None and new_run.status == "succeeded", new_run.error
        assert new_run.job is not None and new_run.job.status == "succeeded"
        assert new_run.job.id != job_id
    again = console.client.post(
        f"{console.base}/calculs/{new_run_id}/relancer", follow_redirects=True
    )
    assert "Seul un calcul échoué ou annulé" in html.unescape(again.get_data(as_text=True))


def test_a_stuck_run_is_cleared_from_the_console(console: Console) -> None:
    app = console.app
    console.client.post(f"{console.base}/calculs", data={"mode": "interest"})
    queued = _latest(app, SolverRun)
    # Queued: abandoning cancels its job at once.
    assert console.client.post(f"{console.base}/calculs/{queued}/abandonner").status_code == 302
    with app.app_context():
        run = db.session.get(SolverRun, queued)
        assert run is not None and run.status == "cancelled"
        assert run.job is not None and run.job.status == "cancelled"
    assert "Relancer le calcul" in console.page(f"/calculs/{queued}")

    # « En cours » with a job already gone (no hook ran): abandoning ends it at once.
    console.client.post(f"{console.base}/calculs", data={"mode": "interest"})
    stuck = _latest(app, SolverRun)
    with app.app_context():
        run = db.session.get(SolverRun, stuck)
        assert run is not None and run.job is not None
        run.status = "running"
        run.job_id = None
        db.session.commit()
    assert "Abandonner le calcul" in console.page(f"/calculs/{stuck}")
    assert console.client.post(f"{console.base}/calculs/{stuck}/abandonner").status_code == 302
    with app.app_context():
        run = db.session.get(SolverRun, stuck)
        assert run is not None and run.status == "cancelled"
    page = console.page(f"/calculs/{stuck}")
    assert ">annulé</strong>" in page and "Relancer le calcul" in page


def test_an_import_whose_job_failed_can_be_relaunched_or_abandoned(console: Console) -> None:
    app = console.app
    lines = ["finess_et;editeur;statut_dui"]
    lines += [f"{finess};Alpha Santé;référencé Ségur" for finess in console.alpha]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    response = console.client.post(
        f"{console.base}/fichiers",
        data={"kind": "declarations", "file": (io.BytesIO(content), "déclarations.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    upload_id = _latest(app, Upload)
    backends.work(app, burst=True)
    assert console.client.post(f"{console.base}/fichiers/{upload_id}/confirmer").status_code == 302
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        assert upload is not None and upload.status == "loading"
        load_job_id = upload.load_job_id
    assert load_job_id is not None
    page = console.page(f"/fichiers/{upload_id}")
    assert "import en cours" in page and "Relancer" not in page

    # The import job died (marked failed by the sweep, before its hook ran).
    _set_job(
        app, load_job_id, status="failed", error="Tâche interrompue : le processus s'est arrêté."
    )
    page = console.page(f"/fichiers/{upload_id}")
    assert "échec de l'import" in page and "import en cours" not in page
    assert "Tâche interrompue" in page
    assert "Relancer l'import" in page and "Abandonner ce fichier" in page

    assert console.client.post(f"{console.base}/fichiers/{upload_id}/relancer").status_code == 302
    assert backends.work(app, burst=True) == 1
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        assert upload is not None and upload.status == "loaded", upload.outcome
        assert upload.load_job_id not in (None, load_job_id)

    # A failed import can also be dropped.
    _set_job(app, int(upload.load_job_id or 0), status="running")
    with app.app_context():
        db.session.query(Upload).filter(Upload.id == upload_id).update({"status": "loading"})
        db.session.commit()
    _set_job(app, int(upload.load_job_id or 0), status="cancelled", message="Annulée.")
    assert console.client.post(f"{console.base}/fichiers/{upload_id}/abandonner").status_code == 302
    with app.app_context():
        dropped = db.session.get(Upload, upload_id)
        assert dropped is not None and dropped.status == "discarded"


def test_cancelling_a_running_run_stops_it_quickly_and_the_run_ends_cancelled(
    make_app: MakeApp,
) -> None:
    app = make_app(JOB_BACKEND="thread", JOB_PROGRESS_INTERVAL_S=0.1)
    with app.app_context():
        desk = build_desk(db.session, app.config)
        run = create_run(
            db.session,
            campaign=desk.campaign,
            mode="interest",
            departments=campaign_scope(desk.campaign),
            params=solve_params(app.config, desk.campaign.solver_params),
            user_id=desk.owner.id,
        )
        job = job_services.enqueue(
            db.session, "test.slow_solve", {"run_id": run.id, "wait_s": 60}, desk.owner
        )
        run.job_id = job.id
        db.session.commit()
        run_id, job_id = run.id, job.id
    embedded = backends.EmbeddedRunner.for_app(app)
    start = time.monotonic()
    while not (_job_row(app, job_id).message or "").startswith("Attente délibérée"):
        assert time.monotonic() - start < 30
        time.sleep(0.05)
    with app.app_context():
        running = db.session.get(Job, job_id)
        assert running is not None
        job_services.cancel(db.session, running, None)
        db.session.commit()
    cancelled_at = time.monotonic()
    assert embedded.wait(timeout=30)
    assert time.monotonic() - cancelled_at < 5  # at its next progress report, not in 60 s
    assert _job_row(app, job_id).status == "cancelled"
    with app.app_context():
        ended = db.session.get(SolverRun, run_id)
        assert ended is not None and ended.status == "cancelled"
        assert ended.progress_message == "Annulé à la demande." and ended.error is None


def _job_row(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job
