"""Where jobs run: the app's threads, the table worker, RQ on the real Redis; and what a
starting runner does with the jobs of a dead process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs import backends
from matchmaker.models import Job, Role
from tests.support import sample_jobs
from tests.support.jobs import REDIS_URL, MakeApp, add_user, enqueue, load


def test_the_embedded_runner_starts_jobs_once_committed(make_app: MakeApp) -> None:
    app = make_app(JOB_BACKEND="thread")
    user = add_user(app, Role.COLLECTIF)
    job_id = enqueue(app, "test.succeed", {"echo": "fil"}, user)
    embedded = app.extensions[backends.EMBEDDED_KEY]
    assert embedded.wait(timeout=60)
    job = load(app, job_id)
    assert job.status == "succeeded", job.error
    assert job.backend == "thread"
    assert job.result is not None and job.result["echo"] == "fil"


def test_a_rolled_back_job_is_never_started(make_app: MakeApp) -> None:
    app = make_app(JOB_BACKEND="thread")
    with app.app_context():
        from matchmaker.jobs import services

        services.enqueue(db.session, "test.succeed")
        db.session.rollback()
    assert backends.EMBEDDED_KEY not in app.extensions
    with app.app_context(), Session(db.engine) as session:
        assert session.query(Job).count() == 0


def _running_job(app: Flask, heartbeat_age: timedelta) -> int:
    now = datetime.now(UTC)
    with app.app_context():
        job = Job(
            kind="test.succeed",
            params={},
            status="running",
            backend="thread",
            started_at=now - heartbeat_age,
            heartbeat_at=now - heartbeat_age,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


@pytest.mark.parametrize("start", ["embedded", "worker"])
def test_a_job_left_running_by_a_dead_process_is_marked_failed(
    make_app: MakeApp, start: str
) -> None:
    app = make_app(JOB_BACKEND="thread" if start == "embedded" else "worker", JOB_STALE_AFTER_S=120)
    dead = _running_job(app, timedelta(hours=1))
    alive = _running_job(app, timedelta(seconds=5))
    if start == "embedded":
        backends.EmbeddedRunner.for_app(app)
    else:
        backends.work(app, burst=True)
    job = load(app, dead)
    assert job.status == "failed"
    assert job.error is not None and "interrompue" in job.error
    assert job.finished_at is not None
    assert load(app, alive).status == "running"


def test_the_embedded_runner_picks_up_jobs_queued_before_it_started(
    make_app: MakeApp,
) -> None:
    waiting_app = make_app(JOB_BACKEND="worker")
    job_id = enqueue(waiting_app, "test.succeed")
    app = make_app(JOB_BACKEND="thread")
    embedded = backends.EmbeddedRunner.for_app(app)
    assert embedded.wait(timeout=60)
    assert load(app, job_id).status == "succeeded"


def test_rq_runs_the_same_job_code(make_app: MakeApp, redis_queue_name: str) -> None:
    app = make_app(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue_name)
    user = add_user(app, Role.ADMIN)
    ok = enqueue(app, "test.succeed", {"echo": "redis"}, user)
    failing = enqueue(app, "test.fail_domain", {}, user)
    queue = backends.rq_queue(app.config)
    assert queue.count == 2
    assert load(app, ok).rq_job_id in queue.job_ids

    with app.app_context():
        backends.rq_worker(app, simple=True).work(burst=True)

    job = load(app, ok)
    assert job.status == "succeeded", job.error
    assert job.backend == "rq"
    assert job.result is not None
    assert job.result["echo"] == "redis"
    assert job.result["seen_progress"] == 0.5
    with app.app_context():
        assert len(sample_jobs.written_by(db.session, ok)) == 1
    job = load(app, failing)
    assert job.status == "failed"
    assert job.error == "Le fichier « declarations.csv » est vide."


def test_an_unreachable_redis_fails_the_job_with_its_cause(make_app: MakeApp) -> None:
    app = make_app(
        JOB_BACKEND="rq",
        REDIS_URL="redis://127.0.0.1:1/0",
        JOB_RQ_QUEUE=f"grappes-test-{uuid.uuid4().hex[:8]}",
    )
    job_id = enqueue(app, "test.succeed")
    job = load(app, job_id)
    assert job.status == "failed"
    assert job.error is not None and "Redis injoignable" in job.error


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "thread"),
        ({"REDIS_URL": "redis://localhost"}, "rq"),
        ({"REDIS_URL": "redis://localhost", "JOB_BACKEND": "worker"}, "worker"),
        ({"JOB_BACKEND": "thread"}, "thread"),
    ],
)
def test_backend_choice(config: dict[str, str], expected: str) -> None:
    assert backends.backend_name(config) == expected


@pytest.mark.parametrize("config", [{"JOB_BACKEND": "celery"}, {"JOB_BACKEND": "rq"}])
def test_misconfigured_backends_are_refused(config: dict[str, str]) -> None:
    with pytest.raises(backends.JobBackendError):
        backends.backend_name(config)
