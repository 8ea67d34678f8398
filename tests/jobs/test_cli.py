"""``grappes worker``: on the jobs table, and as an RQ worker (forking work horses)."""

from __future__ import annotations

from matchmaker.models import Role
from tests.jobs.committed import MakeApp, add_user
from tests.jobs.test_backends import REDIS_URL, redis_queue_name  # noqa: F401
from tests.jobs.test_runner import enqueue, load


def test_worker_burst_runs_the_queued_jobs(make_app: MakeApp) -> None:
    app = make_app()
    user = add_user(app, Role.ADMIN)
    ok = enqueue(app, "test.succeed", {}, user)
    failing = enqueue(app, "test.fail_domain", {}, user)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "sans Redis" in result.output
    assert "2 tâche(s) exécutée(s)" in result.output
    assert load(app, ok).status == "succeeded"
    assert load(app, failing).status == "failed"


def test_worker_burst_runs_an_rq_queue(
    make_app: MakeApp,
    redis_queue_name: str,  # noqa: F811
) -> None:
    app = make_app(JOB_BACKEND="rq", REDIS_URL=REDIS_URL, JOB_RQ_QUEUE=redis_queue_name)
    user = add_user(app, Role.ADMIN)
    ok = enqueue(app, "test.succeed", {"echo": "fourche"}, user)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "Worker RQ" in result.output
    job = load(app, ok)
    assert job.status == "succeeded", job.error
    assert job.result is not None and job.result["echo"] == "fourche"
