"""Map data as GeoJSON, built from plain data (no database, no Flask).

Maps are drawn in the browser by ``static/js/maps.js`` with the vendored Leaflet: a page
places a map element (``templates/_macros/map.html``) that names a JSON endpoint; the
endpoint answers a GeoJSON ``FeatureCollection`` made here, with a ``meta`` member that
tells the browser how to draw it (legend, areas, lines to the centre). Pages never carry
their markers inline, so their size does not grow with the map.

Every map draws the department and region outlines the service ships
(``static/geo/``, built by ``scripts/build_outlines.py``) as a base layer that needs no
internet; tiles are an optional setting (``MAP_TILES_URL``).

Feature properties are plain text (``label``, ``lines``): the browser turns them into
text nodes, never into HTML.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from importers.geography import DEPARTMENTS

PointKind = Literal["origin", "member", "carrier", "neighbour", "centre", "left-out", "other"]

OUTLINES_ATTRIBUTION = "Contours : IGN Admin Express 2018, Licence Ouverte"

#: Distinct, contrasted colours for OG (colour-blind friendly first: Okabe–Ito).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#7F7F7F",
    "#BCBD22",
)
ORIGIN_COLOUR = "#000091"
CENTRE_COLOUR = "#B3261E"

GeoJSON = dict[str, Any]


@dataclass(frozen=True)
class MapPoint:
    """One ESSMS on a map. ``lines`` are the popup's lines of plain text; ``group`` ties
    the point to an area (a grappe) drawn around its group."""

    latitude: float
    longitude: float
    label: str
    lines: tuple[str, ...] = ()
    colour: str = PALETTE[0]
    kind: PointKind = "other"
    group: int | str | None = None


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label: str
    outline: str | None = None

    def as_json(self) -> dict[str, str]:
        entry = {"colour": self.colour, "label": self.label}
        if self.outline:
            entry["outline"] = self.outline
        return entry


def colour_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def point_feature(point: MapPoint, **extra: Any) -> GeoJSON:
    """A point as a GeoJSON feature (coordinates to about 10 cm)."""
    properties: dict[str, Any] = {
        "label": point.label,
        "lines": [line for line in point.lines if line],
        "colour": point.colour,
        "kind": point.kind,
    }
    if point.group is not None:
        properties["group"] = point.group
    properties.update(extra)
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(point.longitude, 6), round(point.latitude, 6)],
        },
        "properties": properties,
    }


def radius_feature(latitude: float, longitude: float, radius_km: float) -> GeoJSON:
    """A search radius, drawn as a dashed circle."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]},
        "properties": {"kind": "radius", "radius_m": round(radius_km * 1000)},
    }


def collection(features: Iterable[GeoJSON], **meta: Any) -> GeoJSON:
    """A FeatureCollection with its drawing instructions in ``meta`` (a foreign member)."""
    listed = list(features)
    return {
        "type": "FeatureCollection",
        "features": listed,
        "meta": {"attribution": OUTLINES_ATTRIBUTION, **meta},
    }


def legend(entries: Iterable[LegendEntry]) -> list[dict[str, str]]:
    return [entry.as_json() for entry in entries]


def radius_box(latitude: float, longitude: float, radius_km: float) -> list[list[float]]:
    """The box ([[south, west], [north, east]]) that shows a circle whole."""
    dlat = radius_km / 111.32
    dlon = radius_km / (111.32 * max(math.cos(math.radians(latitude)), 0.01))
    return [[latitude - dlat, longitude - dlon], [latitude + dlat, longitude + dlon]]


def neighbours_geojson(
    origin: MapPoint, neighbours: Sequence[MapPoint], radius_km: float
) -> GeoJSON:
    """The chosen ESSMS, the circle of the search radius (the map shows it whole), and its
    neighbours coloured by OG."""
    features = [radius_feature(origin.latitude, origin.longitude, radius_km)]
    features += [point_feature(point) for point in neighbours]
    features.append(point_feature(origin))
    return collection(
        features,
        zoom_to=radius_box(origin.latitude, origin.longitude, radius_km),
        legend=legend([LegendEntry(origin.colour, "Établissement choisi", "#000000")]),
    )


def grappe_geojson(
    members: Sequence[MapPoint],
    centre: tuple[float, float] | None,
    centre_label: str = "Centre de la grappe",
    legend_entries: Sequence[LegendEntry] = (),
) -> GeoJSON:
    """A grappe: members coloured by OG (carrier outlined), the centre, a line from each
    member to the centre."""
    features = [point_feature(member, group=1) for member in members]
    if centre is not None:
        features.append(
            point_feature(
                MapPoint(centre[0], centre[1], centre_label, (), CENTRE_COLOUR, "centre", 1),
                radius=12,
            )
        )
    return collection(features, centre_lines=True, legend=legend(legend_entries))


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, or None when absent or malformed."""
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        return None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return west, south, east, north


def in_bbox(
    latitude: float, longitude: float, bbox: tuple[float, float, float, float] | None
) -> bool:
    if bbox is None:
        return True
    west, south, east, north = bbox
    return west <= longitude <= east and south <= latitude <= north


def department_feature(code: str, short: str, lines: Sequence[str], **extra: Any) -> GeoJSON | None:
    """A labelled circle at a department's centre standing for many items (its grappes,
    its ESSMS to reach), or None for a code without known place."""
    department = DEPARTMENTS.get(code)
    if department is None:
        return None
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(department.longitude, 4), round(department.latitude, 4)],
        },
        "properties": {
            "kind": "summary",
            "short": short,
            "label": f"{department.name} ({code})",
            "lines": list(lines),
            "code": code,
            **extra,
        },
    }


def areas_meta(areas: Mapping[str, tuple[str, str, str, Sequence[str]]]) -> dict[str, Any]:
    """Choropleth areas by department code: (colour, short label, label, popup lines)."""
    return {
        code: {"colour": colour, "short": short, "label": label, "lines": list(lines)}
        for code, (colour, short, label, lines) in areas.items()
    }
