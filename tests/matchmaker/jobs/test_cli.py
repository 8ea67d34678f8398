"""``grappes worker``: on the jobs table, and as an RQ worker (forking work horses)."""

from __future__ import annotations

from matchmaker.models import Role
from tests.support import sample_jobs  # noqa: F401 (registers the test.* job kinds)
from tests.support.jobs import REDIS_URL, MakeApp, add_user, enqueue, load


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
    redis_queue_name: str,
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
