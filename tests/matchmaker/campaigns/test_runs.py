"""Solver runs from the console: started as a background job, reviewed, adjusted, then
re-solved with the campaign's locks, which the new run respects."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import runs
from matchmaker.extensions import db
from matchmaker.jobs import backends
from matchmaker.jobs import services as job_services
from matchmaker.models import Job, Lock, SolverRun
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk, build_desk
from tests.support.jobs import MakeApp


def latest_run(app) -> SolverRun:  # type: ignore[no-untyped-def]
    with app.app_context():
        run = db.session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
        assert run is not None
        placed = {m.finess_et: g.number for g in run.grappes for m in g.members}
        excluded = {e.finess_et: e.reason_code for e in run.exclusions}
        db.session.expunge_all()
        run.placed = placed  # type: ignore[attr-defined]
        run.excluded = excluded  # type: ignore[attr-defined]
        return run


def test_a_run_is_solved_in_the_background_and_locks_survive_a_re_solve(
    make_app: MakeApp,
) -> None:
    app = make_app(SOLVER_TIME_LIMIT_S=20, SOLVER_SEED=1)
    with app.app_context():
        desk = build_desk(db.session, app.config)
        db.session.commit()
        campaign_id = desk.campaign.id
        alpha = [m.finess_et for m in desk.alpha.members]
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        login(client, desk.owner)
        base = f"/console/campagnes/{campaign_id}"
        assert client.post(f"{base}/calculs", data={"mode": "interest"}).status_code == 302
        first = latest_run(app)
        assert first.status == "queued"
        assert backends.work(app, burst=True) == 1
        first = latest_run(app)
        assert first.status == "succeeded", first.error
        assert set(alpha) <= set(first.placed)
        page = html.unescape(client.get(f"{base}/calculs/{first.id}").get_data(as_text=True))
        assert "Grappes proposées" in page and "Alpha Santé" in page

        removed = alpha[3]
        response = client.post(
            f"{base}/calculs/{first.id}/ajuster",
            data={"action": "remove", "finess_et": removed},
            follow_redirects=True,
        )
        assert "retiré" in html.unescape(response.get_data(as_text=True))
        with app.app_context():
            assert [lock.kind for lock in db.session.scalars(select(Lock))] == ["exclude"]

        client.post(f"{base}/calculs", data={"mode": "interest", "parent_run_id": str(first.id)})
        backends.work(app, burst=True)
        second = latest_run(app)
        assert second.id != first.id and second.parent_run_id == first.id
        assert second.status == "succeeded", second.error
        assert removed not in second.placed
        assert removed in second.excluded
        assert set(alpha) - {removed} <= set(second.placed)
        comparison = client.get(f"{base}/comparer?a={first.id}&b={second.id}")
        assert comparison.status_code == 200
    with app.app_context():
        jobs = list(db.session.scalars(select(Job).where(Job.kind == "campaign.solve")))
        assert [job.status for job in jobs] == ["succeeded", "succeeded"]


def test_a_run_cancelled_before_it_starts_is_cancelled(
    app: Flask, db_session: Session, desk: Desk
) -> None:
    run, job = runs.start_run(db_session, desk.owner, desk.campaign, app.config)
    assert run.status == "queued"
    job_services.cancel(db_session, job, desk.owner)
    assert job.status == "cancelled"
    assert run.status == "cancelled"


def test_a_run_interrupted_by_a_restart_is_marked_failed(make_app: MakeApp) -> None:
    app = make_app(JOB_STALE_AFTER_S=60)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with app.app_context():
        desk = build_desk(db.session, app.config)
        run = SolverRun(
            campaign_id=desk.campaign.id, status="running", scope=["35"], started_at=long_ago
        )
        db.session.add(run)
        db.session.flush()
        db.session.add(
            Job(
                kind="campaign.solve",
                params={"run_id": run.id},
                status="running",
                backend="thread",
                started_at=long_ago,
                heartbeat_at=long_ago,
                campaign_id=desk.campaign.id,
            )
        )
        db.session.commit()
        run_id = run.id
    backends.work(app, burst=True)
    with app.app_context():
        run = db.session.get(SolverRun, run_id)
        assert run is not None
        assert run.status == "failed"
        assert run.error is not None and "interrompue" in run.error
