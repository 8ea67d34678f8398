"""Maps of a run, built by functions of plain data (no database, no Flask).

Each grappe has its colour, its centre (a larger ring) and its carrier's ESSMS (a thick
black outline); ESSMS left out are grey, with their reason in the popup. Markers are put in
one layer per editor, and the left-out in a layer of their own, switchable in Leaflet's
layer control; above ``cluster_threshold`` markers, each layer clusters its markers
(Leaflet.markercluster). As in :mod:`matchmaker.maps`, the markers travel as one JSON array
per layer and are drawn in the browser with the vendored Leaflet (no CDN, no jQuery): the
page places ``html`` and loads ``templates/_map_assets.html`` with ``script``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import folium
from branca.element import Figure, MacroElement
from folium.template import Template
from markupsafe import Markup

from matchmaker.maps import RenderedMap, main_bounds, safe_text

#: Colours of the grappes, in turn (readable on the OpenStreetMap tiles).
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
LEFT_OUT_LAYER = "ESSMS écartés"
#: Map centre when there is nothing to show (mainland France).
FRANCE = (46.6, 2.4)


@dataclass(frozen=True)
class MapMember:
    finess_et: str
    name: str
    latitude: float
    longitude: float
    distance_km: float
    is_carrier: bool


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


def colour_of(number: int) -> str:
    """The colour of grappe ``number`` (1-based)."""
    return PALETTE[(number - 1) % len(PALETTE)]


def editor_layer(editor: str) -> str:
    """The name of an editor's layer in the layer control."""
    return f"Éditeur : {editor}"


class EditorLayers(MacroElement):
    """Named layers of circle markers, each a ``featureGroup`` (or a
    ``markerClusterGroup``), listed in a layer control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var control = L.control.layers(null, null, {collapsed: false}).addTo(map);
            var layers = {{ this.layers|tojson }};
            layers.forEach(function (spec) {
                var group = spec.cluster ? L.markerClusterGroup() : L.featureGroup();
                spec.rows.forEach(function (r) {
                    L.circleMarker([r[0], r[1]], {
                        radius: r[5], color: r[6], weight: r[7], fill: r[8] !== "centre",
                        fillColor: r[4], fillOpacity: 0.85,
                        className: "grappes-marker grappes-" + r[8]
                    }).bindTooltip(r[2]).bindPopup(r[3]).addTo(group);
                });
                group.addTo(map);
                control.addOverlay(group, spec.name);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layers: list[dict[str, object]]) -> None:
        super().__init__()
        self._name = "EditorLayers"
        self.layers = layers


def run_map(
    grappes: Sequence[MapGrappe],
    left_out: Sequence[MapLeftOut] = (),
    *,
    cluster_threshold: int,
) -> RenderedMap:
    """The campaign map of a run (or of one grappe: pass only that one)."""
    points = [(m.latitude, m.longitude) for g in grappes for m in g.members] + [
        (x.latitude, x.longitude) for x in left_out
    ]
    clustered = len(points) > cluster_threshold
    rows: dict[str, list[list[object]]] = {}
    for grappe in grappes:
        layer = rows.setdefault(editor_layer(grappe.editor), [])
        colour = colour_of(grappe.number)
        for member in grappe.members:
            layer.append(_member_row(grappe, member, colour))
        if grappe.centre_latitude is not None and grappe.centre_longitude is not None:
            layer.append(_centre_row(grappe, colour))
    if left_out:
        rows[LEFT_OUT_LAYER] = [_left_out_row(item) for item in left_out]
    figure = folium.Map(location=FRANCE, zoom_start=6, tiles="OpenStreetMap", control_scale=True)
    bounds = main_bounds(points)
    if bounds is not None:
        figure.fit_bounds(list(bounds))
    layers = [
        {"name": safe_text(name), "cluster": clustered, "rows": layer_rows}
        for name, layer_rows in rows.items()
    ]
    EditorLayers(layers).add_to(figure)
    root = cast(Figure, figure.get_root())
    root.render()
    return RenderedMap(
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
        marker_count=len(points),
        clustered=clustered,
    )


def _member_row(grappe: MapGrappe, member: MapMember, colour: str) -> list[object]:
    carrier = "<br><strong>OG porteur</strong>" if member.is_carrier else ""
    popup = (
        f"<strong>{safe_text(member.name)}</strong><br>FINESS {safe_text(member.finess_et)}"
        f"<br>Grappe n° {grappe.number} — {safe_text(grappe.editor)}"
        f"<br>{member.distance_km:.1f} km du centre{carrier}"
    )
    return [
        round(member.latitude, 6),
        round(member.longitude, 6),
        safe_text(f"Grappe n° {grappe.number} — {member.name}"),
        popup,
        colour,
        7,
        "#000000" if member.is_carrier else colour,
        3 if member.is_carrier else 1,
        "carrier" if member.is_carrier else "member",
    ]


def _centre_row(grappe: MapGrappe, colour: str) -> list[object]:
    popup = (
        f"<strong>Centre de la grappe n° {grappe.number}</strong>"
        f"<br>Éditeur : {safe_text(grappe.editor)}<br>Porteur : {safe_text(grappe.carrier)}"
        f"<br>{len(grappe.members)} ESSMS"
    )
    assert grappe.centre_latitude is not None and grappe.centre_longitude is not None
    return [
        round(grappe.centre_latitude, 6),
        round(grappe.centre_longitude, 6),
        safe_text(f"Centre de la grappe n° {grappe.number}"),
        popup,
        colour,
        15,
        colour,
        3,
        "centre",
    ]


def _left_out_row(item: MapLeftOut) -> list[object]:
    near = f"<br><em>Au plus près :</em> {safe_text(item.near_miss)}" if item.near_miss else ""
    editor = f"<br>Éditeur : {safe_text(item.editor)}" if item.editor else ""
    popup = (
        f"<strong>{safe_text(item.name)}</strong> (écarté)<br>FINESS {safe_text(item.finess_et)}"
        f"{editor}<br><em>Motif :</em> {safe_text(item.reason)}{near}"
    )
    return [
        round(item.latitude, 6),
        round(item.longitude, 6),
        safe_text(f"Écarté — {item.name}"),
        popup,
        LEFT_OUT_COLOUR,
        6,
        LEFT_OUT_COLOUR,
        1,
        "left-out",
    ]
