"""The ARS desk's access rule and shared helpers.

Who may use the desk: ARS users, on their own region only, and administrators, on any
region they choose. Organisations (OG) and collectifs SI MS are refused: the desk holds
the ARS's contact log and its targeting of ESSMS, which are the agency's working notes.
Every service of the desk receives the region this module resolved.
"""

from __future__ import annotations

from importers.geography import DEPARTMENTS, PROGRAMME_REGIONS, REGIONS
from matchmaker.domain_errors import Forbidden, NotFound
from matchmaker.models import Role, User

__all__ = ["Forbidden", "NotFound", "desk_region"]


def desk_region(user: User, requested: str | None) -> str:
    """The region whose desk ``user`` opens.

    An ARS user always gets its own region; asking for another one raises ``Forbidden``.
    An administrator gets the requested region (the first programme region by default).
    Any other role raises ``Forbidden``.
    """
    requested = (requested or "").strip() or None
    if user.role == Role.ARS:
        if user.region is None or (requested is not None and requested != user.region):
            raise Forbidden("Vous n'avez accès qu'aux données de votre région.")
        return user.region
    if user.role == Role.ADMIN:
        region = requested or PROGRAMME_REGIONS[0]
        if region not in REGIONS:
            raise NotFound(f"Région inconnue : {region}")
        return region
    raise Forbidden("Le bureau ARS est réservé aux agences régionales de santé.")


def check_department(region: str, department: str | None) -> str | None:
    """``department`` if it belongs to ``region`` (None stays None); else ``NotFound``."""
    if not department:
        return None
    found = DEPARTMENTS.get(department)
    if found is None or found.region_code != region:
        raise NotFound(f"Département {department} hors de la région.")
    return department
