"""The ARS desk tests run in the hand-counted Occitanie of :mod:`tests.support.occitanie`;
their OG accounts belong to OG ``N``, their ARS and collectif accounts to region 76."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import UserDefaults
from tests.support.occitanie import World, build_world


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


@pytest.fixture
def user_defaults(world: World) -> UserDefaults:
    return UserDefaults(organisation=world.og_n.finess_ej, region="76")
