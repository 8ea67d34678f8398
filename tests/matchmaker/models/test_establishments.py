"""The neighbour search's spatial index on PostgreSQL (issue 14, « Queries that scale »):
each establishment is a point on the unit sphere in a GiST index (``cube``), and
``within_km`` selects through it the establishments around a point; SQLite keeps the
indexed latitude/longitude box (tests/matchmaker/organisations/test_neighbours.py runs on both)."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from matchmaker.models import Establishment
from matchmaker.models.establishments import within_km
from tests.factories import make_establishment, make_organisation

TOULOUSE = (43.6045, 1.4440)


def _north_of(km: float) -> tuple[float, float]:
    return TOULOUSE[0] + km / 111.195, TOULOUSE[1]


@pytest.fixture
def postgresql(db_session: Session) -> Session:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the GiST index is PostgreSQL's (run with GRAPPES_TEST_DATABASE_URL)")
    return db_session


def test_within_km_keeps_the_near_and_drops_the_far(postgresql: Session) -> None:
    og = make_organisation(postgresql)
    near = make_establishment(postgresql, og, latitude=_north_of(10)[0], longitude=TOULOUSE[1])
    edge = make_establishment(postgresql, og, latitude=_north_of(49)[0], longitude=TOULOUSE[1])
    far = make_establishment(postgresql, og, latitude=_north_of(100)[0], longitude=TOULOUSE[1])
    nowhere = make_establishment(postgresql, og, latitude=None, longitude=None)
    found = set(
        postgresql.scalars(
            select(Establishment.finess_et).where(within_km(*TOULOUSE, radius_km=50))
        )
    )
    assert {near.finess_et, edge.finess_et} <= found
    assert far.finess_et not in found and nowhere.finess_et not in found


def test_the_gist_index_serves_within_km(postgresql: Session) -> None:
    og = make_organisation(postgresql)
    for index in range(30):
        angle = 2 * math.pi * index / 30
        make_establishment(
            postgresql,
            og,
            latitude=TOULOUSE[0] + 0.5 * math.sin(angle),
            longitude=TOULOUSE[1] + 0.5 * math.cos(angle),
        )
    postgresql.execute(text("SET LOCAL enable_seqscan = off"))
    statement = select(Establishment.finess_et).where(within_km(*TOULOUSE, radius_km=50))
    compiled = statement.compile(postgresql.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(postgresql.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert "ix_establishments_earth" in plan, plan
