"""Folium maps built from plain data (no database, no Flask).

Each function takes ``MapPoint`` values and returns a ``RenderedMap``: the map's ``<div>``
and its script, to place in a page that loads the vendored Leaflet
(``templates/_map_assets.html``); folium's own header is not used (it pulls CDNs and
forbids zooming the page). Above ``cluster_threshold`` markers, they are grouped with
MarkerCluster.

Marker labels travel as JSON and become text nodes in the browser (never HTML); the one
label folium writes itself (the centre's tooltip, inside a JavaScript template literal) goes
through ``safe_text`` (HTML, backticks, ``${`` and backslashes neutralised).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import folium
from branca.element import MacroElement
from folium.template import Template
from markupsafe import Markup, escape

PointKind = Literal["origin", "member", "carrier", "neighbour", "other"]

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
KM_PER_DEGREE = 111.32
CENTRE_COLOUR = "#B3261E"


@dataclass(frozen=True)
class MapPoint:
    """One ESSMS on a map. ``lines`` are the popup's lines of plain text."""

    latitude: float
    longitude: float
    label: str
    lines: tuple[str, ...] = ()
    colour: str = PALETTE[0]
    kind: PointKind = "other"


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a folium map to place in a page."""

    html: Markup
    script: Markup
    marker_count: int
    clustered: bool


def safe_text(text: str) -> str:
    """Plain text made safe inside folium's JavaScript template literals and HTML."""
    cleaned = text.replace("\\", "/").replace("`", "'").replace("${", "$ {")
    return str(escape(cleaned))


def colour_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


class PointLayer(MacroElement):
    """All the ESSMS markers of a map, created in the browser from one JSON array
    (folium's one-object-per-marker rendering takes seconds for thousands of points).
    Clustered with Leaflet.markercluster when ``cluster`` is true. Labels travel as JSON
    strings and become text nodes in the browser: they are never parsed as HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows|tojson }};
            var layer = {{ "L.markerClusterGroup()" if this.cluster else "L.featureGroup()" }};
            function text(tag, value) {
                var node = document.createElement(tag);
                node.textContent = value;
                return node;
            }
            function popup(r) {
                var box = text("div", "");
                box.appendChild(text("strong", r[2]));
                r[3].forEach(function (line) {
                    box.appendChild(document.createElement("br"));
                    box.appendChild(document.createTextNode(line));
                });
                return box;
            }
            rows.forEach(function (r) {
                L.circleMarker([r[0], r[1]], {
                    radius: r[5], color: r[6], weight: r[7], fill: true,
                    fillColor: r[4], fillOpacity: 0.85,
                    className: "grappes-marker grappes-" + r[8]
                }).bindTooltip(function () { return text("span", r[2]); })
                  .bindPopup(function () { return popup(r); })
                  .addTo(layer);
            });
            layer.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points: Sequence[MapPoint], cluster: bool) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.cluster = cluster
        self.rows = [_row(point) for point in points]


def _row(point: MapPoint) -> list[object]:
    """One marker: position, label, the popup's other lines (plain text), style, kind."""
    emphasis = point.kind in ("origin", "carrier")
    return [
        round(point.latitude, 6),
        round(point.longitude, 6),
        point.label,
        [line for line in point.lines if line],
        point.colour,
        10 if emphasis else 7,
        "#000000" if emphasis else point.colour,
        3 if emphasis else 1,
        point.kind,
    ]


#: Mainland France and Corsica, roughly (south-west and north-east corners).
MAINLAND = ((41.2, -5.3), (51.2, 9.7))


def main_bounds(
    positions: Sequence[tuple[float, float]],
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The box to show first: the mainland points when they are the majority, so that a
    map of a campaign covering mainland and overseas departments is not zoomed out to the
    whole globe (the overseas markers stay on the map); else every point."""
    if not positions:
        return None
    (south, west), (north, east) = MAINLAND
    mainland = [(a, b) for a, b in positions if south <= a <= north and west <= b <= east]
    shown = mainland if 2 * len(mainland) >= len(positions) else list(positions)
    latitudes = [a for a, _ in shown]
    longitudes = [b for _, b in shown]
    return (min(latitudes), min(longitudes)), (max(latitudes), max(longitudes))


def base_map(points: Sequence[MapPoint], centre: tuple[float, float] | None) -> folium.Map:
    """An OpenStreetMap map centred on ``centre``, or fitted to the points (``main_bounds``)."""
    location = centre or ((points[0].latitude, points[0].longitude) if points else (46.6, 2.4))
    figure = folium.Map(location=location, zoom_start=9, tiles="OpenStreetMap", control_scale=True)
    if len(points) > 1:
        bounds = main_bounds([(p.latitude, p.longitude) for p in points])
        assert bounds is not None
        figure.fit_bounds(list(bounds), padding=(30, 30))
    return figure


def render(figure: folium.Map, marker_count: int, clustered: bool) -> RenderedMap:
    """The map's HTML and script, to place in a page (both produced by us: safe)."""
    root = figure.get_root()
    root.render()
    return RenderedMap(
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
        marker_count=marker_count,
        clustered=clustered,
    )


def add_points(
    figure: folium.Map, points: Iterable[MapPoint], cluster_threshold: int
) -> tuple[int, bool]:
    """Add the points as one layer, clustered above ``cluster_threshold`` markers; returns
    the marker count and whether they are clustered."""
    points = list(points)
    clustered = len(points) > cluster_threshold
    PointLayer(points, clustered).add_to(figure)
    return len(points), clustered


def neighbours_map(
    origin: MapPoint, neighbours: Sequence[MapPoint], radius_km: float, cluster_threshold: int
) -> RenderedMap:
    """The chosen ESSMS, the circle of the search radius (the map shows it whole), and its
    neighbours."""
    figure = base_map([], (origin.latitude, origin.longitude))
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(origin.latitude)), 0.01))
    figure.fit_bounds(
        [
            (origin.latitude - dlat, origin.longitude - dlon),
            (origin.latitude + dlat, origin.longitude + dlon),
        ]
    )
    folium.Circle(
        location=(origin.latitude, origin.longitude),
        radius=radius_km * 1000,
        color=ORIGIN_COLOUR,
        weight=1,
        fill=False,
        dash_array="6 6",
    ).add_to(figure)
    count, clustered = add_points(figure, neighbours, cluster_threshold)
    PointLayer([origin], cluster=False).add_to(figure)
    return render(figure, count + 1, clustered)


def grappe_map(
    members: Sequence[MapPoint],
    centre: tuple[float, float] | None,
    cluster_threshold: int,
    centre_label: str = "Centre de la grappe",
) -> RenderedMap:
    """A grappe: members coloured by OG (carrier outlined), the centre, a line from each
    member to the centre (its distance in the popup)."""
    figure = base_map(members, centre)
    if centre is not None:
        for member in members:
            folium.PolyLine(
                [(member.latitude, member.longitude), centre],
                color="#4a4a4a",
                weight=1,
                opacity=0.6,
            ).add_to(figure)
        folium.Marker(
            location=centre,
            icon=folium.DivIcon(
                html='<span class="grappes-centre" aria-hidden="true"></span>',
                icon_size=(16, 16),
                icon_anchor=(8, 8),
                class_name="grappes-centre-icon",
            ),
            tooltip=safe_text(centre_label),
            # Leaflet gives a keyboard-focusable marker role="button": it needs a name.
            title=safe_text(centre_label),
            alt=safe_text(centre_label),
        ).add_to(figure)
    count, clustered = add_points(figure, members, cluster_threshold)
    return render(figure, count, clustered)
