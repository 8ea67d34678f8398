"""The desk's maps as GeoJSON, from plain data, drawn by ``static/js/maps.js``.

- ``rate_geojson``: the embarkation rate per department, as a choropleth on the department
  outlines the service ships (``static/geo/``), each area labelled with its rate;
- ``targets_geojson``: the non-embarked, clustered where dense, isolated ones in another
  colour (served by the desk's JSON endpoint, filtered like the page);
- ``what_if_geojson``: a simulation's grappes (one colour and one area each) and the
  isolated ESSMS.

The page prints the legend and the same figures as tables: the maps add nothing a table
does not say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from importers.geography import DEPARTMENTS
from matchmaker import formatting, maps
from matchmaker.ars.dashboard import Row
from matchmaker.ars.priorities import Target
from matchmaker.ars.whatif import NO_EDITOR, WhatIf
from matchmaker.maps import (
    CENTRE_COLOUR,
    GeoJSON,
    MapPoint,
    collection,
    colour_for,
    department_feature,
    point_feature,
)

#: Rate classes of the rate map: (upper bound, colour, French label), light to dark.
RATE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.2, "#eff3ff", "moins de 20 %"),
    (0.4, "#bdd7e7", "20 à 40 %"),
    (0.6, "#6baed6", "40 à 60 %"),
    (0.8, "#3182bd", "60 à 80 %"),
    (1.01, "#08519c", "80 % et plus"),
)
NO_DATA_COLOUR = "#bdbdbd"
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
        return (
            f"{self.name} ({self.code}) : {self.rate_text}, "
            f"{self.embarked} embarqués sur {self.eligible}"
        )

    @property
    def rate_text(self) -> str:
        """« 37,5 % », or « — » without eligible ESSMS."""
        return "—" if self.rate is None else formatting.percent(self.rate)


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
                    group=grappe.number,
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


def rate_geojson(departments: Sequence[DepartmentRate]) -> GeoJSON:
    """The rate per department as choropleth areas (keyed by INSEE code), each labelled
    with its rate, and the legend of the classes."""
    areas = {
        d.code: {
            "colour": rate_colour(d.rate),
            "short": f"{d.code} : {d.rate_text}",
            "label": f"{d.name} ({d.code})",
            "lines": [
                f"Taux d'embarquement : {d.rate_text}",
                f"{d.embarked} embarqués sur {d.eligible} ESSMS éligibles",
            ],
        }
        for d in departments
        if d.code in DEPARTMENTS
    }
    return collection([], mode="choropleth", areas=areas)


def targets_geojson(points: Sequence[MapPoint]) -> GeoJSON:
    """The non-embarked ESSMS (clustered in the browser where dense)."""
    return collection(
        [point_feature(point) for point in points],
        status=f"{len(points)} ESSMS non embarqués localisés sur la carte.",
    )


def targets_summary_geojson(targets: Sequence[Target], links: Mapping[str, str]) -> GeoJSON:
    """One labelled circle per department (its number of non-embarked ESSMS); a click opens
    the department (``links``: the page's address filtered on each department)."""
    counts = Counter(t.department for t in targets)
    isolated = Counter(t.department for t in targets if t.isolated)
    features = []
    for code, count in sorted(counts.items()):
        feature = department_feature(
            code,
            str(count),
            (
                f"{count} ESSMS non embarqués, dont {isolated[code]} isolés",
                "Cliquez pour afficher ses ESSMS.",
            ),
            count=count,
            colour=TARGET_COLOUR,
            href=links.get(code),
        )
        if feature is not None:
            features.append(feature)
    return collection(
        features,
        mode="summary",
        status=(
            f"Vue d'ensemble de {len(targets)} ESSMS non embarqués : choisissez un département "
            "(cercle ou filtre) pour les afficher un à un."
        ),
    )


def what_if_geojson(grappes: Sequence[Sequence[MapPoint]], isolated: Sequence[MapPoint]) -> GeoJSON:
    """Members coloured by grappe, one area per grappe (pass points already coloured with
    ``colour_for`` and grouped), and the isolated ESSMS, outlined."""
    features = [point_feature(p) for members in grappes for p in members]
    features += [point_feature(p) for p in isolated]
    return collection(
        features,
        hulls=True,
    )


__all__ = [
    "CENTRE_COLOUR",
    "ISOLATED_COLOUR",
    "RATE_CLASSES",
    "TARGET_COLOUR",
    "DepartmentRate",
    "MapPoint",
    "colour_for",
    "rate_geojson",
    "targets_geojson",
    "targets_summary_geojson",
    "what_if_geojson",
]
