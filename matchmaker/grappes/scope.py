"""The departments a run covers: a scope written by hand, or a campaign's."""

from __future__ import annotations

from collections.abc import Iterable

from importers.geography import DEPARTMENTS, REGIONS, departments_of_region
from matchmaker.grappes.errors import RunError
from matchmaker.models import Campaign


def resolve_scope(tokens: Iterable[str]) -> list[str]:
    """Department codes of a scope written as departments (``31``, ``2A``, ``974``) and
    regions prefixed with R (``R76`` = Occitanie). An unknown code raises ``RunError``."""
    departments: list[str] = []
    for raw in tokens:
        token = raw.strip().upper()
        if not token:
            continue
        if token.startswith("R") and token[1:] in REGIONS:
            departments.extend(departments_of_region(token[1:]))
        elif token.zfill(2) in DEPARTMENTS:
            departments.append(token.zfill(2))
        else:
            raise RunError(
                f"Périmètre inconnu : « {raw} » (attendu : un département comme 31 ou 2A, "
                "ou une région préfixée par R comme R76)."
            )
    return sorted(set(departments))


def campaign_scope(campaign: Campaign) -> list[str]:
    """The departments a campaign covers (its departments, else its region's)."""
    if campaign.departments:
        return resolve_scope(campaign.departments)
    if campaign.region:
        return departments_of_region(campaign.region)
    return []
