"""The campaign console tests work on the desk of :mod:`tests.support.desk`."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.support.desk import Desk, build_desk


@pytest.fixture
def desk(app: Flask, db_session: Session) -> Desk:
    return build_desk(db_session, app.config)
