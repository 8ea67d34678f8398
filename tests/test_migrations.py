"""The Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from matchmaker import migrations
from matchmaker.extensions import make_engine
from matchmaker.models import Base


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    """An empty SQLite file, or an empty PostgreSQL schema when testing on PostgreSQL."""
    url = os.environ.get("GRAPPES_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    schema = f"m_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


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
        if engine.dialect.name == "postgresql":
            schema = empty_database_url.rsplit("%3D", 1)[1]
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
