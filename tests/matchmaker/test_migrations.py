"""The Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from matchmaker import migrations
from matchmaker.extensions import make_engine
from matchmaker.models import Base
from tests.helpers import scratch_database


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty SQLite file, or an empty PostgreSQL schema when testing on PostgreSQL."""
    with scratch_database(tmp_path, "m", with_schema=False) as url:
        yield url


@pytest.mark.db
def test_upgrade_to_head_matches_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrations.upgrade("head", engine=engine)
        assert migrations.current(engine=engine) is not None
        with engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}),
                Base.metadata,
            )
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()
