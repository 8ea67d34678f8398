"""The desk's maps, built from plain data with the site's folium helpers (``matchmaker.maps``).

- ``rate_map``: the embarkation rate per department, as a choropleth when department
  boundaries are configured (``DEPARTMENT_BOUNDARIES_FILE``), otherwise as circles at the
  prefectures whose area grows with the number of eligible ESSMS;
- ``targets_map``: the non-embarked, always clustered (MarkerCluster), isolated ones in
  another colour;
- ``what_if_map``: a simulation's grappes (one colour each) and the isolated ESSMS.

The page prints the legend and the same figures as tables: the maps add nothing a table
does not say.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium

from importers.geography import DEPARTMENTS
from matchmaker import formatting, maps
from matchmaker.ars.dashboard import Row
from matchmaker.ars.priorities import Target
from matchmaker.ars.whatif import NO_EDITOR, WhatIf
from matchmaker.maps import CENTRE_COLOUR, MapPoint, RenderedMap, colour_for, safe_text

#: Rate classes of the rate map: (upper bound, colour, French label), light to dark.
RATE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.2, "#eff3ff", "moins de 20 %"),
    (0.4, "#bdd7e7", "20 à 40 %"),
    (0.6, "#6baed6", "40 à 60 %"),
    (0.8, "#3182bd", "60 à 80 %"),
    (1.01, "#08519c", "80 % et plus"),
)
NO_DATA_COLOUR = "#bdbdbd"
#: Radius of the circle of the largest department, in pixels.
MAX_CIRCLE_PX = 30
ISOLATED_COLOUR = maps.PALETTE[1]
TARGET_COLOUR = maps.PALETTE[0]


@dataclass(frozen=True)
class DepartmentRate:
    code: str
    name: str
    latitude: float
    longitude: float
    eligible: int
    embarked: int
    rate: float | None

    @property
    def label(self) -> str:
        rate = formatting.percent(self.rate)
        return f"{self.name} ({self.code}) : {rate}, {self.embarked} embarqués sur {self.eligible}"


def department_rates(rows: Sequence[Row]) -> list[DepartmentRate]:
    """The dashboard's department rows, placed at their prefectures."""
    rates = []
    for row in rows:
        department = DEPARTMENTS.get(row.key)
        if department is not None:
            rates.append(
                DepartmentRate(
                    row.key,
                    department.name,
                    department.latitude,
                    department.longitude,
                    row.tally.eligible,
                    row.tally.embarked,
                    row.tally.rate,
                )
            )
    return rates


def target_points(targets: Sequence[Target]) -> list[MapPoint]:
    """The located non-embarked, isolated ones in their own colour."""
    return [
        MapPoint(
            t.latitude,
            t.longitude,
            t.name,
            (
                f"FINESS {t.finess_et}",
                t.og_name or t.finess_ej,
                t.commune or "",
                f"Score {formatting.number(t.score, 2, fixed=True)}",
                "Isolé" if t.isolated else "",
            ),
            colour=ISOLATED_COLOUR if t.isolated else TARGET_COLOUR,
        )
        for t in targets
        if t.latitude is not None and t.longitude is not None
    ]


def what_if_points(result: WhatIf) -> tuple[list[list[MapPoint]], list[MapPoint]]:
    """A simulation's located members, one colour per grappe, and its isolated ESSMS."""
    grappes: list[list[MapPoint]] = []
    for index, grappe in enumerate(result.grappes):
        points = []
        for member in grappe.members:
            place = result.places.get(member.finess_et)
            if place is None or place.latitude is None or place.longitude is None:
                continue
            lines = (
                f"Grappe n° {grappe.number}",
                grappe.editor_name or NO_EDITOR,
                place.og_name or place.finess_ej,
            )
            points.append(
                MapPoint(
                    place.latitude,
                    place.longitude,
                    place.name,
                    lines,
                    colour=colour_for(index),
                    kind="member",
                )
            )
        grappes.append(points)
    isolated = [
        MapPoint(
            item.place.latitude,
            item.place.longitude,
            item.place.name,
            ("Resterait isolé", item.reason),
            colour=CENTRE_COLOUR,
            kind="origin",
        )
        for item in result.isolated
        if item.place.latitude is not None and item.place.longitude is not None
    ]
    return grappes, isolated


def rate_colour(rate: float | None) -> str:
    """The colour of a rate's class."""
    if rate is None:
        return NO_DATA_COLOUR
    for upper, colour, _label in RATE_CLASSES:
        if rate < upper:
            return colour
    return RATE_CLASSES[-1][1]


@lru_cache(maxsize=4)
def _load_boundaries(path: str, mtime: float) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_boundaries(path: str | None) -> dict[str, Any] | None:
    """The boundaries GeoJSON (cached while the file is unchanged), or None when unset."""
    if not path:
        return None
    file = Path(path)
    return _load_boundaries(str(file), file.stat().st_mtime)


def rate_map(
    departments: Sequence[DepartmentRate],
    boundaries: dict[str, Any] | None = None,
    key: str = "code",
) -> RenderedMap:
    """The rate per department: choropleth with ``boundaries``, circles otherwise."""
    points = [MapPoint(d.latitude, d.longitude, d.label) for d in departments]
    figure = maps.base_map(points, None)
    by_code = {d.code: d for d in departments}
    features = [
        feature
        for feature in (boundaries or {}).get("features", [])
        if str(feature.get("properties", {}).get(key, "")) in by_code
    ]
    if features:
        shown = []
        for feature in features:
            department = by_code[str(feature["properties"][key])]
            shown.append(
                {
                    "type": "Feature",
                    "geometry": feature["geometry"],
                    "properties": {
                        "libelle": safe_text(department.label),
                        "couleur": rate_colour(department.rate),
                    },
                }
            )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": shown},
            style_function=lambda f: {
                "fillColor": f["properties"]["couleur"],
                "color": "#1e1e1e",
                "weight": 1,
                "fillOpacity": 0.8,
            },
            tooltip=folium.GeoJsonTooltip(fields=["libelle"], labels=False),
            name="Taux d'embarquement",
        ).add_to(figure)
        return maps.render(figure, len(shown), clustered=False)
    largest = max((d.eligible for d in departments), default=0) or 1
    for department in departments:
        radius = max(4.0, MAX_CIRCLE_PX * math.sqrt(department.eligible / largest))
        folium.CircleMarker(
            location=(department.latitude, department.longitude),
            radius=radius,
            color="#1e1e1e",
            weight=1,
            fill=True,
            fill_color=rate_colour(department.rate),
            fill_opacity=0.85,
            tooltip=safe_text(department.label),
            class_name="grappes-department",
        ).add_to(figure)
    return maps.render(figure, len(departments), clustered=False)


def targets_map(points: Sequence[MapPoint]) -> RenderedMap:
    """The non-embarked ESSMS, clustered."""
    figure = maps.base_map(points, None)
    count, clustered = maps.add_points(figure, points, cluster_threshold=0)
    return maps.render(figure, count, clustered)


def what_if_map(
    grappes: Sequence[Sequence[MapPoint]],
    isolated: Sequence[MapPoint],
    cluster_threshold: int,
) -> RenderedMap:
    """Members coloured by grappe (pass points already coloured with ``colour_for``) and
    the isolated ESSMS, outlined in red."""
    every = [point for members in grappes for point in members] + list(isolated)
    figure = maps.base_map(every, None)
    count, clustered = maps.add_points(figure, every, cluster_threshold)
    return maps.render(figure, count, clustered)


__all__ = [
    "CENTRE_COLOUR",
    "ISOLATED_COLOUR",
    "RATE_CLASSES",
    "TARGET_COLOUR",
    "DepartmentRate",
    "MapPoint",
    "colour_for",
    "load_boundaries",
    "rate_map",
    "targets_map",
    "what_if_map",
]
