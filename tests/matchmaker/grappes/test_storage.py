"""Storing a run refreshes the planner's statistics of the tables it fills (issue 14: a
national run adds tens of thousands of members, exclusions and snapshot rows, which the
review pages read at once). PostgreSQL only."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from matchmaker.models import Campaign, Exclusion, GrappeMember, RunCandidate
from matchmaker.models.base import Base
from matchmaker.ops import table_statistics
from tests.support.solving import solve


def planned_rows(session: Session, model: type[Base]) -> float:
    return float(
        session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
            {"table": model.__tablename__},
        )
    )


def test_a_stored_run_refreshes_the_statistics_of_its_rows(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's (run with GRAPPES_TEST_DATABASE_URL)")
    tables = (GrappeMember, Exclusion, RunCandidate)
    table_statistics.refresh(db_session, *tables)
    solve(runner, campaign, str(tmp_path / "run.csv"), "--seed", "1")
    for model in tables:
        count = db_session.scalar(select(func.count()).select_from(model))
        assert count, model
        assert planned_rows(db_session, model) == count, model
