"""Neighbours of an ESSMS: who nearby could join the same grappe.

Rule: within the chosen radius (great-circle km), the ESSMS that declared the same editor
or no DUI (an ESSMS without DUI may join any editor's grappe). When the chosen ESSMS has
neither a DUI nor a preferred editor, every declared neighbour is shown with its editor.
ESSMS that declared they are already funded by ESMS numérique are not candidates and are
left out. How many more are needed: the minimum grappe size of the ESSMS's department
(``GRAPPE_MIN_SIZE``, or ``GRAPPE_MIN_SIZE_REDUCED`` in ``REDUCED_MINIMUM_DEPARTMENTS``)
minus the ESSMS itself and its compatible neighbours.

Search: a latitude/longitude box in SQL (indexed columns, few rows) and, on PostgreSQL,
the GiST index of the points on the sphere (``within_km``), then the exact haversine
distance in Python. Contact details are shown only for OG whose representative
agreed to share them (``User.share_contact``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.editor_names import normalise_name
from matchmaker.auth.services import Forbidden, can_view_organisation
from matchmaker.models import (
    ApprovalStatus,
    Campaign,
    Declaration,
    Establishment,
    Organisation,
    Role,
    User,
)
from matchmaker.models.establishments import within_km
from matchmaker.organisations.services import NotFound, editor_names
from matchmaker.vocabulary import CampaignStatus, DuiStatus
from solver.geo import pairwise_km, to_radians

KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Neighbour:
    finess_et: str
    name: str
    commune: str | None
    department: str
    finess_ej: str
    og_name: str | None
    distance_km: float
    editor: str | None
    dui_status: str | None
    same_og: bool
    contact_email: str | None
    latitude: float
    longitude: float


@dataclass(frozen=True)
class NeighbourReport:
    origin: Establishment
    origin_editor: str | None
    origin_dui_status: str | None
    radius_km: float
    neighbours: list[Neighbour]
    min_size: int
    #: open ESSMS in the radius with no declaration (their editor is unknown)
    undeclared: int
    #: editors of the neighbours, most frequent first
    editor_counts: list[tuple[str, int]]

    @property
    def needed(self) -> int:
        """How many more ESSMS the grappe would need to reach the minimum size."""
        return max(0, self.min_size - 1 - len(self.neighbours))


def min_size_for(
    department: str, min_size: int, min_size_reduced: int, reduced: Collection[str]
) -> int:
    return min_size_reduced if department in reduced else min_size


def bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, ...]:
    """(lat_min, lat_max, lon_min, lon_max) enclosing the circle of ``radius_km``."""
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


@dataclass(frozen=True)
class DeclaredEditor:
    """What the neighbour search needs of a current declaration."""

    editor_id: int | None
    editor_raw: str | None
    dui_status: str | None
    already_funded: bool | None


def _current_of(session: Session, finess_ets: list[str]) -> dict[str, DeclaredEditor]:
    """Current declarations of these ESSMS in the open campaigns (all campaigns when none
    is open; the latest campaign's when several), looked up by (campaign, FINESS) index."""
    campaign_ids = list(
        session.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.OPEN))
    )
    scope = [Declaration.is_current.is_(True)]
    if campaign_ids:
        scope.append(Declaration.campaign_id.in_(campaign_ids))
    found: dict[str, tuple[int, DeclaredEditor]] = {}
    for start in range(0, len(finess_ets), 900):
        rows = session.execute(
            select(
                Declaration.finess_et,
                Declaration.id,
                Declaration.editor_id,
                Declaration.editor_raw,
                Declaration.dui_status,
                Declaration.already_funded,
            ).where(*scope, Declaration.finess_et.in_(finess_ets[start : start + 900]))
        )
        for finess, declaration_id, editor_id, editor_raw, dui_status, funded in rows:
            if finess not in found or found[finess][0] < declaration_id:
                declared = DeclaredEditor(editor_id, editor_raw, dui_status, funded)
                found[finess] = (declaration_id, declared)
    return {finess: declared for finess, (_, declared) in found.items()}


def shared_contacts(session: Session, finess_ejs: Collection[str]) -> dict[str, str]:
    """The e-mail of an attached representative who agreed to share it, per OG."""
    if not finess_ejs:
        return {}
    rows = session.execute(
        select(User.finess_ej, User.email)
        .where(
            User.role == Role.OG,
            User.approval_status == ApprovalStatus.APPROVED,
            User.share_contact.is_(True),
            User.finess_ej.in_(list(finess_ejs)),
        )
        .order_by(User.id.desc())
    )
    return {finess_ej: email for finess_ej, email in rows if finess_ej}


def _editor_key(
    declaration: Declaration | DeclaredEditor | None, names: dict[int, str]
) -> tuple[str | None, str | None]:
    """(display name, comparison key) of a declaration's editor."""
    if declaration is None:
        return None, None
    if declaration.editor_id is not None and declaration.editor_id in names:
        name = names[declaration.editor_id]
        return name, f"id:{declaration.editor_id}"
    if declaration.editor_raw:
        return declaration.editor_raw, f"raw:{normalise_name(declaration.editor_raw)}"
    return None, None


def find_neighbours(
    session: Session,
    user: User,
    finess_et: str,
    radius_km: float,
    *,
    min_size: int,
    min_size_reduced: int,
    reduced_departments: Collection[str],
) -> NeighbourReport:
    """The compatible ESSMS within ``radius_km`` of ``finess_et``, nearest first."""
    origin = session.get(Establishment, finess_et)
    if origin is None:
        raise NotFound(finess_et)
    if not can_view_organisation(session, user, origin.finess_ej):
        raise Forbidden("Vous ne pouvez pas consulter cet établissement.")
    size = min_size_for(origin.department, min_size, min_size_reduced, reduced_departments)
    if origin.latitude is None or origin.longitude is None:
        declarations = _current_of(session, [finess_et])
        names = editor_names(session, (d.editor_id for d in declarations.values()))
        editor, _ = _editor_key(declarations.get(finess_et), names)
        dui = declarations[finess_et].dui_status if finess_et in declarations else None
        return NeighbourReport(origin, editor, dui, radius_km, [], size, 0, [])
    lat_min, lat_max, lon_min, lon_max = bounding_box(origin.latitude, origin.longitude, radius_km)
    near = [
        Establishment.latitude.between(lat_min, lat_max),
        Establishment.longitude.between(lon_min, lon_max),
    ]
    if session.get_bind().dialect.name == "postgresql":
        near.append(within_km(origin.latitude, origin.longitude, radius_km))
    rows = session.execute(
        select(
            Establishment.finess_et,
            Establishment.finess_ej,
            func.coalesce(Establishment.long_name, Establishment.short_name),
            Establishment.commune,
            Establishment.department,
            Establishment.latitude,
            Establishment.longitude,
            Organisation.name,
        )
        .join(Establishment.organisation)
        .where(
            Establishment.is_open.is_(True),
            Establishment.is_essms.is_(True),
            Establishment.finess_et != finess_et,
            *near,
        )
    ).all()
    inside: list[tuple[Any, float]] = []
    if rows:
        points = to_radians(np.array([r[5] for r in rows]), np.array([r[6] for r in rows]))
        here = to_radians(np.array([origin.latitude]), np.array([origin.longitude]))
        distances = pairwise_km(here, points)[0].tolist()
        inside = [(row, d) for row, d in zip(rows, distances, strict=True) if d <= radius_km]
    declarations = _current_of(session, [finess_et, *(row[0] for row, _ in inside)])
    names = editor_names(session, (d.editor_id for d in declarations.values()))
    origin_editor, origin_key = _editor_key(declarations.get(finess_et), names)
    origin_dui = declarations[finess_et].dui_status if finess_et in declarations else None
    neighbours: list[Neighbour] = []
    undeclared = 0
    editors: Counter[str] = Counter()
    kept = []
    for row, distance in inside:
        declaration = declarations.get(row[0])
        if declaration is None:
            undeclared += 1
            continue
        if declaration.already_funded:
            continue
        editor, key = _editor_key(declaration, names)
        no_dui = declaration.dui_status in (None, DuiStatus.AUCUN)
        # No editor on our side: any grappe will do, so every neighbour is shown.
        if not (origin_key is None or no_dui or key == origin_key):
            continue
        if editor:
            editors[editor] += 1
        kept.append((row, distance, editor, declaration.dui_status))
    contacts = shared_contacts(session, {row[1] for row, *_ in kept})
    for (et, ej, name, commune, department, lat, lon, og_name), distance, editor, dui in kept:
        neighbours.append(
            Neighbour(
                finess_et=et,
                name=name,
                commune=commune,
                department=department,
                finess_ej=ej,
                og_name=og_name,
                distance_km=round(distance, 1),
                editor=editor,
                dui_status=dui,
                same_og=ej == origin.finess_ej,
                contact_email=contacts.get(ej),
                latitude=float(lat),
                longitude=float(lon),
            )
        )
    neighbours.sort(key=lambda n: (n.distance_km, n.finess_et))
    return NeighbourReport(
        origin=origin,
        origin_editor=origin_editor,
        origin_dui_status=origin_dui,
        radius_km=radius_km,
        neighbours=neighbours,
        min_size=size,
        undeclared=undeclared,
        editor_counts=editors.most_common(),
    )
