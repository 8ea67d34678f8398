"""Fixtures of the site tests: a test client that sends the CSRF token (CSRF stays on),
an ``auth`` helper that logs in as each role, and a small world of two OG in Bretagne.

Fixtures *commit* what they create: inside ``db_session`` a commit only releases a
savepoint (the test's transaction is still rolled back at the end), and it keeps the data
when a view rolls its own work back after a refused action.

The client reads the token from a page the way a browser would (the login page for an
anonymous visitor; the logout form of the navigation once logged in), as CTFd's
``CTFdTestClient`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import (
    ApprovalStatus,
    Establishment,
    Organisation,
    OutboxMail,
    Role,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.campaigns import Campaign
from tests.helpers import PASSWORD, CsrfClient


@pytest.fixture
def client(app: Flask, db_session: Session) -> CsrfClient:
    return CsrfClient(app, app.response_class, use_cookies=True)


@dataclass
class World:
    """Two OG of Bretagne (35), one of Normandie, their ESSMS and an open campaign."""

    og_a: Organisation
    og_b: Organisation
    og_far: Organisation
    essms_a: list[Establishment]
    essms_b: list[Establishment]
    essms_far: list[Establishment]
    campaign: Campaign
    extra: dict[str, Any] = field(default_factory=dict)


def add_organisation(
    session: Session, finess_ej: str, name: str, *, email_domain: str | None = None
) -> Organisation:
    organisation = Organisation(
        finess_ej=finess_ej, name=name, email_domain=email_domain, siret="12345678900011"
    )
    session.add(organisation)
    return organisation


def add_establishment(
    session: Session,
    finess_et: str,
    organisation: Organisation,
    *,
    name: str,
    commune: str = "RENNES",
    department: str = "35",
    region: str = "53",
    latitude: float | None = 48.11,
    longitude: float | None = -1.68,
    champ: str = "PA",
) -> Establishment:
    establishment = Establishment(
        finess_et=finess_et,
        finess_ej=organisation.finess_ej,
        short_name=name,
        long_name=name,
        commune=commune,
        department=department,
        region=region,
        latitude=latitude,
        longitude=longitude,
        champ=champ,
        category_label="Etablissement d'hébergement pour personnes âgées dépendantes",
        is_essms=True,
        is_open=True,
        phone="0299000000",
    )
    session.add(establishment)
    return establishment


@pytest.fixture
def world(db_session: Session) -> World:
    og_a = add_organisation(db_session, "350000001", "ASSOCIATION ALPHA", email_domain="alpha.fr")
    og_b = add_organisation(db_session, "350000002", "ASSOCIATION BETA")
    og_far = add_organisation(db_session, "140000001", "ASSOCIATION LOINTAINE")
    db_session.commit()
    essms_a = [
        add_establishment(db_session, "350000101", og_a, name="EHPAD LES TILLEULS"),
        add_establishment(
            db_session,
            "350000102",
            og_a,
            name="SSIAD ALPHA",
            commune="CESSON-SEVIGNE",
            latitude=48.12,
            longitude=-1.60,
            champ="DOM",
        ),
        add_establishment(
            db_session,
            "350000103",
            og_a,
            name="IME ALPHA",
            commune="VITRE",
            latitude=48.12,
            longitude=-1.21,
            champ="PH",
        ),
    ]
    essms_b = [
        add_establishment(
            db_session,
            "350000201",
            og_b,
            name="EHPAD BETA",
            commune="BRUZ",
            latitude=48.02,
            longitude=-1.75,
        ),
        add_establishment(
            db_session,
            "350000202",
            og_b,
            name="FOYER BETA",
            commune="SAINT-MALO",
            latitude=48.65,
            longitude=-2.01,
            champ="PH",
        ),
    ]
    essms_far = [
        add_establishment(
            db_session,
            "140000101",
            og_far,
            name="EHPAD LOINTAIN",
            commune="CAEN",
            department="14",
            region="28",
            latitude=49.18,
            longitude=-0.37,
        )
    ]
    campaign = Campaign(
        name="Bretagne 2026", region="53", status="open", closes_on=date(2099, 12, 31)
    )
    db_session.add(campaign)
    db_session.commit()
    return World(og_a, og_b, og_far, essms_a, essms_b, essms_far, campaign)


MakeUser = Callable[..., User]


@cache
def password_hash() -> str:
    """``PASSWORD`` hashed once per test session (a hash costs about 0.3 s here)."""
    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_user(db_session: Session, world: World) -> MakeUser:
    """Create a confirmed, approved user (as ``grappes users create`` does); OG users
    belong to OG A unless told."""

    counter = iter(range(1, 1000))

    def make(
        role: Role | str,
        *,
        email: str | None = None,
        organisation: str | None = None,
        region: str | None = "53",
    ) -> User:
        role = Role(role)
        finess_ej = (organisation or world.og_a.finess_ej) if role == Role.OG else None
        now = utcnow()
        user = User(
            email=email or f"{role.value}{next(counter)}@exemple.fr",
            password_hash=password_hash(),
            role=role,
            finess_ej=finess_ej,
            requested_finess_ej=finess_ej,
            region=region if role in (Role.COLLECTIF, Role.ARS) else None,
            email_confirmed_at=now,
            approval_status=ApprovalStatus.APPROVED,
            approved_at=now,
        )
        db_session.add(user)
        db_session.commit()
        return user

    return make


class Auth:
    """Log the test client in as a user or a role: through the real login form
    (``form=True``), or by setting Flask-Login's session keys (fast; the form has its own
    tests)."""

    def __init__(self, client: CsrfClient, make_user: MakeUser) -> None:
        self.client = client
        self.make_user = make_user

    def login(self, who: User | Role | str, *, form: bool = False, **kwargs: Any) -> User:
        user = who if isinstance(who, User) else self.make_user(who, **kwargs)
        if form:
            response = self.client.post(
                "/connexion", data={"email": user.email, "password": PASSWORD}
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        else:
            with self.client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
        return user

    def logout(self) -> None:
        self.client.post("/deconnexion")


@pytest.fixture
def auth(client: CsrfClient, make_user: MakeUser) -> Auth:
    return Auth(client, make_user)


def outbox(session: Session, to: str) -> list[OutboxMail]:
    """The mails sent to an address, oldest first."""
    return list(
        session.scalars(select(OutboxMail).where(OutboxMail.to == to).order_by(OutboxMail.id))
    )


CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/confirmer/[^\s]+)")


def confirmation_path(session: Session, to: str) -> str:
    """The path of the confirmation link in the last mail sent to ``to``."""
    found = CONFIRM_LINK.search(outbox(session, to)[-1].body)
    assert found, "no confirmation link in the mail"
    return found.group(1)
