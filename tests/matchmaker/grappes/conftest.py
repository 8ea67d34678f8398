"""Fixtures of the solver-run tests: a campaign around Toulouse and a helper that runs
``grappes solve`` on it."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.orm import Session

from matchmaker.models import Campaign, Embarkation
from tests.factories import (
    make_campaign,
    make_declaration,
    make_editor,
    make_establishment,
    make_organisation,
)

TOULOUSE = (43.60, 1.44)


def _ring(index: int, radius_km: float, centre: tuple[float, float]) -> tuple[float, float]:
    angle = 2 * math.pi * index / 20
    lat = centre[0] + radius_km / 111 * math.sin(angle)
    lon = centre[1] + radius_km / (111 * math.cos(math.radians(centre[0]))) * math.cos(angle)
    return lat, lon


@pytest.fixture
def campaign(db_session: Session) -> Campaign:
    """18 single-ESSMS OG of editor Alpha around Toulouse, 5 of Beta (too few), one without
    coordinates and one already funded."""
    campaign = make_campaign(db_session, "Occitanie 2026", departments=["31"])
    alpha = make_editor(db_session, "Alpha Santé")
    beta = make_editor(db_session, "Beta Soft")
    for i in range(18):
        og = make_organisation(db_session, name=f"OG ALPHA {i}")
        lat, lon = _ring(i, 5 + i, TOULOUSE)
        essms = make_establishment(db_session, og, latitude=lat, longitude=lon)
        make_declaration(db_session, campaign, essms, editor=alpha, willing_carrier=i == 3)
    for i in range(5):
        og = make_organisation(db_session, name=f"OG BETA {i}")
        lat, lon = _ring(i, 8, TOULOUSE)
        essms = make_establishment(db_session, og, latitude=lat, longitude=lon)
        make_declaration(db_session, campaign, essms, editor=beta)
    lost = make_establishment(
        db_session, make_organisation(db_session), latitude=None, longitude=None
    )
    make_declaration(db_session, campaign, lost, editor=alpha)
    funded = make_establishment(db_session, make_organisation(db_session))
    make_declaration(db_session, campaign, funded, editor=alpha)
    db_session.add(Embarkation(finess_et=funded.finess_et, scheme="esms_numerique"))
    db_session.flush()
    return campaign
