"""The revision that gives runs their ``job_id`` fills it from the jobs' params."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from matchmaker import migrations
from matchmaker.extensions import make_engine
from tests.helpers import scratch_database

BEFORE = "3c1e9a7d5b20"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    with scratch_database(tmp_path, "mj", with_schema=False) as url:
        built = make_engine(url)
        try:
            yield built
        finally:
            built.dispose()


@pytest.mark.db
def test_the_upgrade_links_each_run_to_its_latest_solve_job(engine: sa.Engine) -> None:
    migrations.upgrade(BEFORE, engine=engine)
    now = datetime.now(UTC)
    tables = sa.MetaData()
    runs = sa.Table("solver_runs", tables, autoload_with=engine)
    jobs = sa.Table("jobs", tables, autoload_with=engine)
    with engine.begin() as connection:
        for run_id in (1, 2, 3):
            connection.execute(
                runs.insert().values(
                    id=run_id,
                    mode="interest",
                    scope=[],
                    params={},
                    status="failed",
                    progress=0.0,
                    candidate_count=0,
                    covered_count=0,
                    stats={},
                    created_at=now,
                )
            )
        for job_id, kind, params in [
            (10, "campaign.solve", {"run_id": 1}),
            (11, "campaign.solve", {"run_id": 2}),
            (12, "campaign.solve", {"run_id": 1}),  # run 1 relaunched: its latest job
            (13, "campaign.preview_upload", {"upload_id": 3}),
            (14, "campaign.solve", {"run_id": "3"}),  # not a run id: left alone
        ]:
            connection.execute(
                jobs.insert().values(
                    id=job_id,
                    kind=kind,
                    status="failed",
                    progress=0.0,
                    params=params,
                    created_at=now,
                    cancel_requested=False,
                    backend="thread",
                )
            )

    migrations.upgrade("head", engine=engine)
    with engine.connect() as connection:
        linked = dict(connection.execute(sa.text("SELECT id, job_id FROM solver_runs")).all())
    assert linked == {1: 12, 2: 11, 3: None}

    command.downgrade(migrations.alembic_config(engine), BEFORE)
    assert "job_id" not in {c["name"] for c in sa.inspect(engine).get_columns("solver_runs")}
