"""Object-level permissions: who may see and act for which OG and ESSMS.

Rules:
- an OG's attached representatives (role ``og``, approved) and administrators act for it:
  declare, express interest, answer proposals;
- collectif and ARS users read the OG of their region (an OG belongs to every region where
  it runs an establishment);
- nobody else sees an OG's declarations.

Route-level checks are ``matchmaker.auth.decorators.roles_required``; these functions are
called by the services, with the acting user and the object.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Establishment, Role, User


def organisation_regions(session: Session, finess_ej: str) -> set[str]:
    """The regions where an OG runs at least one establishment."""
    rows = session.scalars(
        select(Establishment.region)
        .where(Establishment.finess_ej == finess_ej, Establishment.region.is_not(None))
        .distinct()
    )
    return {region for region in rows if region}


def can_act_for_organisation(user: User, finess_ej: str) -> bool:
    """Declare, express interest and answer for an OG: its attached representatives and
    administrators."""
    if user.role == Role.ADMIN:
        return True
    return user.is_attached and user.finess_ej == finess_ej


def can_view_organisation(session: Session, user: User, finess_ej: str) -> bool:
    """See an OG's declarations, drafts and answers: those who act for it, and the
    collectif and ARS users of a region where it runs an establishment."""
    if can_act_for_organisation(user, finess_ej):
        return True
    if user.role in (Role.COLLECTIF, Role.ARS) and user.regions:
        return bool(user.regions & organisation_regions(session, finess_ej))
    return False


def can_edit_establishment(user: User, establishment: Establishment) -> bool:
    """Declare for an ESSMS: act for the OG that runs it."""
    return can_act_for_organisation(user, establishment.finess_ej)
