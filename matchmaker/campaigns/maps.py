"""Maps of a run: the data the console's map endpoint answers, as GeoJSON.

Each grappe has its colour, its area (the convex hull of its members, drawn in the
browser) and its number at its centre; its carrier's ESSMS have a thick black outline;
ESSMS left out are grey, with their reason in the popup. Many grappes: the area and the
number make them readable; one grappe: a line from each member to the centre.

The endpoint answers only what the view needs: filtered by department, editor, grappe or
viewport (``RunMapFilters``); a run with more located ESSMS than ``summary_threshold``
answers a summary per department first (one labelled circle each) and a department's
ESSMS on demand. ``run_map_data`` reads the database with a few narrow queries (not the
review's full read model); ``run_geojson`` and ``summary_geojson`` are plain data in,
GeoJSON out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from matchmaker import formatting
from matchmaker.grappes.read_model import OPEN_EDITOR
from matchmaker.maps import (
    GeoJSON,
    LegendEntry,
    MapPoint,
    collection,
    department_feature,
    legend,
    point_feature,
)
from matchmaker.models import Establishment, Exclusion, Grappe, GrappeMember, Organisation
from matchmaker.models.grappes import SolverRun

#: Colours of the grappes, in turn (readable on the outlines and on tiles).
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#843c39",
    "#7b4173",
    "#3182bd",
)
LEFT_OUT_COLOUR = "#7f7f7f"
SUMMARY_COLOUR = "#0072B2"
#: Up to this many grappes, the legend names each one; above, it explains the symbols.
LEGEND_MAX_GRAPPES = 12
#: The editor filter's value for grappes whose editor is still to choose.
NO_EDITOR_FILTER = "-"


@dataclass(frozen=True)
class MapMember:
    finess_et: str
    name: str
    latitude: float
    longitude: float
    distance_km: float
    is_carrier: bool
    department: str = ""


@dataclass(frozen=True)
class MapGrappe:
    number: int
    editor: str
    carrier: str
    centre_latitude: float | None
    centre_longitude: float | None
    members: Sequence[MapMember]


@dataclass(frozen=True)
class MapLeftOut:
    finess_et: str
    name: str
    latitude: float
    longitude: float
    reason: str
    near_miss: str | None
    editor: str
    department: str = ""


@dataclass(frozen=True)
class RunMapFilters:
    """What the view needs: all filters optional."""

    department: str | None = None
    editor: str | None = None
    grappe_id: int | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def narrow(self) -> bool:
        """True when the view is already narrowed to a department, a grappe or a viewport."""
        return bool(self.department or self.grappe_id or self.bbox)


@dataclass(frozen=True)
class DepartmentSummary:
    code: str
    grappes: int
    members: int
    left_out: int


def colour_of(number: int) -> str:
    """The colour of grappe ``number`` (1-based)."""
    return PALETTE[(number - 1) % len(PALETTE)]


# --- reading the run ------------------------------------------------------------------------


def _member_rows(run: SolverRun, filters: RunMapFilters) -> Select[*tuple[Any, ...]]:
    query = (
        select(
            Grappe.id,
            Grappe.number,
            Grappe.editor_name,
            Grappe.carrier_ej,
            Grappe.centre_latitude,
            Grappe.centre_longitude,
            GrappeMember.finess_et,
            GrappeMember.distance_km,
            GrappeMember.is_carrier,
            Establishment.long_name,
            Establishment.short_name,
            Establishment.latitude,
            Establishment.longitude,
            Establishment.department,
        )
        .join(GrappeMember, GrappeMember.grappe_id == Grappe.id)
        .join(GrappeMember.establishment)
        .where(
            Grappe.run_id == run.id,
            Establishment.latitude.is_not(None),
            Establishment.longitude.is_not(None),
        )
    )
    if filters.editor is not None:
        editor = "" if filters.editor == NO_EDITOR_FILTER else filters.editor
        query = query.where(Grappe.editor_name == editor)
    if filters.grappe_id is not None:
        query = query.where(Grappe.id == filters.grappe_id)
    if filters.department:
        # Grappes with a member in the department, drawn whole.
        touching = (
            select(GrappeMember.grappe_id)
            .join(GrappeMember.establishment)
            .where(Establishment.department == filters.department)
        )
        query = query.where(Grappe.id.in_(touching))
    if filters.bbox is not None:
        west, south, east, north = filters.bbox
        query = query.where(
            Establishment.latitude.between(south, north),
            Establishment.longitude.between(west, east),
        )
    return query.order_by(Grappe.number, GrappeMember.finess_et)


def _left_out_rows(run: SolverRun, filters: RunMapFilters) -> Select[*tuple[Any, ...]]:
    query = (
        select(
            Exclusion.finess_et,
            Exclusion.reason,
            Exclusion.near_miss,
            Establishment.long_name,
            Establishment.short_name,
            Establishment.latitude,
            Establishment.longitude,
            Establishment.department,
        )
        .join(Establishment, Establishment.finess_et == Exclusion.finess_et)
        .where(
            Exclusion.run_id == run.id,
            Establishment.latitude.is_not(None),
            Establishment.longitude.is_not(None),
        )
    )
    if filters.department:
        query = query.where(Establishment.department == filters.department)
    if filters.bbox is not None:
        west, south, east, north = filters.bbox
        query = query.where(
            Establishment.latitude.between(south, north),
            Establishment.longitude.between(west, east),
        )
    return query.order_by(Exclusion.finess_et)


def _shows_left_out(filters: RunMapFilters) -> bool:
    """The left-out belong to no grappe and to no editor's grappes."""
    return filters.grappe_id is None and filters.editor is None


def count_located(session: Session, run: SolverRun, filters: RunMapFilters) -> int:
    """How many located ESSMS the filtered map would draw."""
    members = session.scalar(
        select(func.count()).select_from(_member_rows(run, filters).order_by(None).subquery())
    )
    left: int | None = 0
    if _shows_left_out(filters):
        left = session.scalar(
            select(func.count()).select_from(_left_out_rows(run, filters).order_by(None).subquery())
        )
    return int(members or 0) + int(left or 0)


def run_map_data(
    session: Session, run: SolverRun, filters: RunMapFilters
) -> tuple[list[MapGrappe], list[MapLeftOut]]:
    """The filtered grappes (located members only) and left-out ESSMS of ``run``."""
    grouped: dict[int, tuple[Row[*tuple[Any, ...]], list[MapMember]]] = {}
    carriers: set[str] = set()
    for row in session.execute(_member_rows(run, filters)):
        _head, members = grouped.setdefault(row.id, (row, []))
        members.append(
            MapMember(
                row.finess_et,
                row.long_name or row.short_name,
                row.latitude,
                row.longitude,
                row.distance_km,
                row.is_carrier,
                row.department,
            )
        )
        if row.carrier_ej:
            carriers.add(row.carrier_ej)
    names = {
        ej: name
        for ej, name in session.execute(
            select(Organisation.finess_ej, Organisation.name).where(
                Organisation.finess_ej.in_(carriers)
            )
        )
    }
    open_editor = OPEN_EDITOR
    grappes = [
        MapGrappe(
            number=head.number,
            editor=head.editor_name or open_editor,
            carrier=(names.get(head.carrier_ej) or head.carrier_ej) if head.carrier_ej else "",
            centre_latitude=head.centre_latitude,
            centre_longitude=head.centre_longitude,
            members=members,
        )
        for head, members in grouped.values()
    ]
    left: list[MapLeftOut] = []
    if _shows_left_out(filters):
        left = [
            MapLeftOut(
                row.finess_et,
                row.long_name or row.short_name,
                row.latitude,
                row.longitude,
                row.reason,
                row.near_miss,
                "",
                row.department,
            )
            for row in session.execute(_left_out_rows(run, filters))
        ]
    return grappes, left


def department_summaries(
    session: Session, run: SolverRun, filters: RunMapFilters
) -> list[DepartmentSummary]:
    """Per department: grappes with a member there, members and left-out located there."""
    rows = _member_rows(run, filters).order_by(None).subquery()
    members = {
        code: (int(grappes), int(count))
        for code, grappes, count in session.execute(
            select(rows.c.department, func.count(func.distinct(rows.c.id)), func.count()).group_by(
                rows.c.department
            )
        )
    }
    left: Counter[str] = Counter()
    if _shows_left_out(filters):
        lrows = _left_out_rows(run, filters).order_by(None).subquery()
        left.update(
            {
                code: int(count)
                for code, count in session.execute(
                    select(lrows.c.department, func.count()).group_by(lrows.c.department)
                )
            }
        )
    return [
        DepartmentSummary(
            code, members.get(code, (0, 0))[0], members.get(code, (0, 0))[1], left[code]
        )
        for code in sorted(set(members) | set(left))
    ]


def filter_options(session: Session, run: SolverRun) -> tuple[list[str], list[str]]:
    """The editors of the run's grappes and the departments of its ESSMS, for the filters."""
    editors = sorted(
        set(session.scalars(select(Grappe.editor_name).where(Grappe.run_id == run.id).distinct()))
    )
    departments = set(
        session.scalars(
            select(Establishment.department)
            .join(GrappeMember, GrappeMember.finess_et == Establishment.finess_et)
            .join(Grappe, Grappe.id == GrappeMember.grappe_id)
            .where(Grappe.run_id == run.id)
            .distinct()
        )
    ) | set(
        session.scalars(
            select(Establishment.department)
            .join(Exclusion, Exclusion.finess_et == Establishment.finess_et)
            .where(Exclusion.run_id == run.id)
            .distinct()
        )
    )
    return editors, sorted(departments)


# --- GeoJSON --------------------------------------------------------------------------------


def run_geojson(grappes: Sequence[MapGrappe], left_out: Sequence[MapLeftOut] = ()) -> GeoJSON:
    """The map of a run (or of one grappe: pass only that one)."""
    single = len(grappes) == 1
    features: list[GeoJSON] = []
    for grappe in grappes:
        colour = colour_of(grappe.number)
        for member in grappe.members:
            features.append(_member_feature(grappe, member, colour))
        if grappe.centre_latitude is not None and grappe.centre_longitude is not None:
            features.append(_centre_feature(grappe, colour))
    features += [_left_out_feature(item) for item in left_out]
    count = sum(len(g.members) for g in grappes) + len(left_out)
    return collection(
        features,
        mode="points",
        hulls=not single,
        group_labels=not single,
        centre_lines=single,
        legend=legend(_legend(grappes, bool(left_out))),
        legend_title="Légende",
        status=f"{_count(len(grappes), 'grappe')}, {_count(count, 'ESSMS', 'ESSMS')} sur la carte.",
    )


def summary_geojson(summaries: Sequence[DepartmentSummary]) -> GeoJSON:
    """One labelled circle per department (its number of grappes), to choose one."""
    features = []
    for item in summaries:
        feature = department_feature(
            item.code,
            str(item.grappes),
            (
                _count(item.grappes, "grappe"),
                f"{_count(item.members, 'ESSMS', 'ESSMS')} en grappe",
                f"{_count(item.left_out, 'ESSMS écarté', 'ESSMS écartés')}",
                "Cliquez pour afficher ses ESSMS.",
            ),
            count=item.members + item.left_out,
            colour=SUMMARY_COLOUR,
        )
        if feature is not None:
            features.append(feature)
    total = sum(item.members + item.left_out for item in summaries)
    return collection(
        features,
        mode="summary",
        legend=[
            {"colour": SUMMARY_COLOUR, "label": "Nombre de grappes par département (aire : ESSMS)"}
        ],
        legend_title="Vue d'ensemble",
        status=(
            f"Vue d'ensemble de {_count(total, 'ESSMS', 'ESSMS')} : choisissez un département "
            "(cercle ou filtre) pour afficher ses grappes."
        ),
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _legend(grappes: Sequence[MapGrappe], left_out: bool) -> list[LegendEntry]:
    if len(grappes) <= LEGEND_MAX_GRAPPES:
        entries = [
            LegendEntry(
                colour_of(g.number), f"Grappe n° {g.number} — {g.editor} ({len(g.members)})"
            )
            for g in grappes
        ]
    else:
        entries = [LegendEntry(PALETTE[0], "Une couleur et une aire par grappe, n° au centre")]
    entries.append(LegendEntry("#ffffff", "OG porteur : contour noir", "#000000"))
    if left_out:
        entries.append(LegendEntry(LEFT_OUT_COLOUR, "ESSMS écarté"))
    return entries


def _member_feature(grappe: MapGrappe, member: MapMember, colour: str) -> GeoJSON:
    lines = (
        f"FINESS {member.finess_et}",
        f"Grappe n° {grappe.number} — {grappe.editor}",
        f"{formatting.km(member.distance_km)} du centre",
        "OG porteur" if member.is_carrier else "",
    )
    point = MapPoint(
        member.latitude,
        member.longitude,
        member.name,
        lines,
        colour,
        "carrier" if member.is_carrier else "member",
        grappe.number,
    )
    return point_feature(point)


def _centre_feature(grappe: MapGrappe, colour: str) -> GeoJSON:
    assert grappe.centre_latitude is not None and grappe.centre_longitude is not None
    point = MapPoint(
        grappe.centre_latitude,
        grappe.centre_longitude,
        f"Centre de la grappe n° {grappe.number}",
        (
            f"Éditeur : {grappe.editor}",
            f"Porteur : {grappe.carrier or '—'}",
            _count(len(grappe.members), "ESSMS", "ESSMS"),
        ),
        colour,
        "centre",
        grappe.number,
    )
    return point_feature(point, short=str(grappe.number), radius=13)


def _left_out_feature(item: MapLeftOut) -> GeoJSON:
    lines = (
        f"FINESS {item.finess_et}",
        f"Éditeur : {item.editor}" if item.editor else "",
        f"Motif : {item.reason}",
        f"Au plus près : {item.near_miss}" if item.near_miss else "",
    )
    point = MapPoint(
        item.latitude, item.longitude, f"{item.name} (écarté)", lines, LEFT_OUT_COLOUR, "left-out"
    )
    return point_feature(point, radius=5)
