"""The bulk writes leave the query planner fresh statistics of what they loaded (issue 14:
with autovacuum off or not yet run, a national declarations table seen as empty made
every review page join all of it). PostgreSQL only: SQLite plans without them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.finess import import_finess
from matchmaker.models import Campaign, Declaration, Establishment, Organisation
from matchmaker.models.base import Base
from matchmaker.ops import table_statistics
from tests.factories import make_organisation
from tests.support.files import write_csv
from tests.support.finess import SAMPLE_NAME


@pytest.fixture
def postgresql(db_session: Session) -> Session:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's (run with GRAPPES_TEST_DATABASE_URL)")
    return db_session


def planned_rows(session: Session, model: type[Base]) -> float:
    """The row count the planner believes the table holds (``pg_class.reltuples``)."""
    return float(
        session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
            {"table": model.__tablename__},
        )
    )


def rows(session: Session, model: type[Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_refresh_tells_the_planner_how_many_rows_a_table_holds(postgresql: Session) -> None:
    table_statistics.refresh(postgresql, Organisation)
    before = planned_rows(postgresql, Organisation)
    for _ in range(40):
        make_organisation(postgresql)
    assert planned_rows(postgresql, Organisation) == before
    table_statistics.refresh(postgresql, Organisation)
    assert planned_rows(postgresql, Organisation) == rows(postgresql, Organisation) >= 40


def test_refresh_does_nothing_on_sqlite(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only")
    make_organisation(db_session)
    table_statistics.refresh(db_session, Organisation)  # no ANALYZE statement, no error
    assert rows(db_session, Organisation) >= 1


def test_a_finess_import_refreshes_the_statistics_of_what_it_loaded(
    postgresql: Session, finess_dir: Path
) -> None:
    table_statistics.refresh(postgresql, Establishment, Organisation)
    before = planned_rows(postgresql, Establishment)
    import_finess(postgresql, finess_dir / "exemples-reels" / SAMPLE_NAME)
    loaded = rows(postgresql, Establishment)
    assert loaded > before
    assert planned_rows(postgresql, Establishment) == loaded
    assert planned_rows(postgresql, Organisation) == rows(postgresql, Organisation)


@pytest.mark.usefixtures("finess")
def test_a_declarations_import_refreshes_the_statistics_of_the_declarations(
    postgresql: Session, campaign: Campaign, tmp_path: Path
) -> None:
    table_statistics.refresh(postgresql, Declaration)
    before = planned_rows(postgresql, Declaration)
    path = write_csv(
        tmp_path / "d.csv",
        [["finess_et", "editeur"], ["010001001", "Aurore"], ["010001002", "Aurore"]],
    )
    import_declarations(postgresql, path, campaign)
    assert rows(postgresql, Declaration) > before
    assert planned_rows(postgresql, Declaration) == rows(postgresql, Declaration)
