"""jobs: ``solver_runs.job_id`` (the run's job), ``jobs.cancel_requested_at``, the job's process

Revision ID: 7a4d2c9e1b30
Revises: 3c1e9a7d5b20
Create Date: 2026-12-03 12:00:00

- ``solver_runs.job_id``: the background job executing the run, so that a run's live state
  is read from its job rather than found by scanning ``jobs.params``. Filled here from the
  ``campaign.solve`` jobs whose ``params`` name the run (the latest such job).
- ``jobs.cancel_requested_at``: when a cancellation was asked, for the sweep that stops a
  running job which did not stop by itself.
- ``jobs.worker_host`` and ``jobs.worker_pid``: the process that claimed the job, so that
  the sweep of a process on the same machine sees at once that it is gone.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a4d2c9e1b30"
down_revision: str | None = "3c1e9a7d5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The job kind that executes a run (``matchmaker.campaigns.runs.SOLVE_KIND``), frozen here.
SOLVE_KIND = "campaign.solve"


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("worker_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("worker_pid", sa.Integer(), nullable=True))
    with op.batch_alter_table("solver_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_solver_runs_job_id"), ["job_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_solver_runs_job_id_jobs"), "jobs", ["job_id"], ["id"], ondelete="SET NULL"
        )
    _backfill(op.get_bind())


def _backfill(bind: sa.engine.Connection) -> None:
    """Each run takes the latest ``campaign.solve`` job whose params name it."""
    rows = bind.execute(
        sa.text("SELECT id, params FROM jobs WHERE kind = :kind ORDER BY id"), {"kind": SOLVE_KIND}
    )
    latest: dict[int, int] = {}
    for job_id, params in rows:
        if isinstance(params, str):
            params = json.loads(params)
        run_id = (params or {}).get("run_id")
        if isinstance(run_id, int):
            latest[run_id] = job_id
    for run_id, job_id in latest.items():
        bind.execute(
            sa.text("UPDATE solver_runs SET job_id = :job WHERE id = :run"),
            {"job": job_id, "run": run_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("solver_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_solver_runs_job_id_jobs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_solver_runs_job_id"))
        batch_op.drop_column("job_id")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("worker_pid")
        batch_op.drop_column("worker_host")
        batch_op.drop_column("cancel_requested_at")
