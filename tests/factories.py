"""Factories with sensible defaults (Indico's ``create_*``, CTFd's ``gen_*``): each adds
rows to the session, flushes and returns them. The one place of the suite that builds
organisations, establishments, campaigns, editors, declarations and accounts."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import (
    ApprovalStatus,
    Campaign,
    Declaration,
    Editor,
    Establishment,
    Organisation,
    Role,
    User,
)
from matchmaker.models.base import utcnow
from tests.helpers import PASSWORD

_numbers = itertools.count(1)


def finess(department: str = "31") -> str:
    """A fresh 9-character FINESS number of a department (not checksummed)."""
    return f"{department[:2]}{next(_numbers):07d}"


def make_organisation(
    session: Session, finess_ej: str | None = None, **values: Any
) -> Organisation:
    organisation = Organisation(
        finess_ej=finess_ej or finess(values.get("department") or "31"),
        name=values.pop("name", "ASSOCIATION TEST"),
        **values,
    )
    session.add(organisation)
    session.flush()
    return organisation


def make_establishment(
    session: Session,
    organisation: Organisation,
    *,
    finess_et: str | None = None,
    latitude: float | None = 43.6,
    longitude: float | None = 1.44,
    department: str = "31",
    **values: Any,
) -> Establishment:
    """An open ESSMS (EHPAD, champ PA) unless told otherwise; updates the OG's count."""
    establishment = Establishment(
        finess_et=finess_et or finess(department),
        finess_ej=organisation.finess_ej,
        short_name=values.pop("short_name", "EHPAD TEST"),
        department=department,
        latitude=latitude,
        longitude=longitude,
        category_code=values.pop("category_code", "500"),
        champ=values.pop("champ", "PA"),
        is_essms=values.pop("is_essms", True),
        is_open=values.pop("is_open", True),
        **values,
    )
    session.add(establishment)
    if establishment.is_essms and establishment.is_open:
        organisation.essms_count = (organisation.essms_count or 0) + 1
    session.flush()
    return establishment


def make_campaign(session: Session, name: str = "Campagne test", **values: Any) -> Campaign:
    campaign = Campaign(name=name, status=values.pop("status", "open"), **values)
    session.add(campaign)
    session.flush()
    return campaign


def make_editor(session: Session, name: str, key: str | None = None) -> Editor:
    editor = Editor(name=name, key=key or name.lower())
    session.add(editor)
    session.flush()
    return editor


def make_declaration(
    session: Session,
    campaign: Campaign,
    establishment: Establishment,
    *,
    editor: Editor | None = None,
    dui_status: str | None = None,
    **values: Any,
) -> Declaration:
    declaration = Declaration(
        campaign_id=campaign.id,
        finess_et=establishment.finess_et,
        editor_id=editor.id if editor else None,
        editor_raw=values.pop("editor_raw", editor.name if editor else None),
        dui_status=dui_status or ("reference_segur" if editor else "aucun"),
        department=establishment.department,
        champ=establishment.champ,
        source_kind=values.pop("source_kind", "file"),
        interested=values.pop("interested", True),
        **values,
    )
    session.add(declaration)
    session.flush()
    return declaration


@cache
def password_hash() -> str:
    """``PASSWORD`` hashed once per test session (a hash costs about 0.3 s here)."""
    return generate_password_hash(PASSWORD)


def make_user(
    session: Session,
    role: Role | str,
    *,
    email: str | None = None,
    finess_ej: str | None = None,
    region: str | None = "53",
) -> User:
    """A confirmed, approved account whose password is ``PASSWORD`` (as ``grappes users
    create`` makes it). An OG account belongs to ``finess_ej``, or to an organisation of its
    own; ``region`` applies to collectif and ARS accounts only."""
    role = Role(role)
    if role == Role.OG and finess_ej is None:
        finess_ej = make_organisation(session, name="OG DU COMPTE").finess_ej
    now = utcnow()
    user = User(
        email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@exemple.fr",
        password_hash=password_hash(),
        role=role,
        finess_ej=finess_ej if role == Role.OG else None,
        requested_finess_ej=finess_ej if role == Role.OG else None,
        region=region if role in (Role.COLLECTIF, Role.ARS) else None,
        email_confirmed_at=now,
        approval_status=ApprovalStatus.APPROVED,
        approved_at=now,
    )
    session.add(user)
    session.flush()
    return user


#: The ``make_user`` fixture: ``make_user(role, *, email=..., organisation=..., region=...)``.
MakeUser = Callable[..., User]


@dataclass(frozen=True)
class UserDefaults:
    """What the ``make_user`` fixture fills in when a test does not say: the organisation of
    OG accounts (``None``: one of its own) and the region of collectif and ARS accounts. The
    ``user_defaults`` fixture of a test world says who its users are."""

    organisation: str | None = None
    region: str = "53"
