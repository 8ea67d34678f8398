"""The desk's maps: rate classes, circles or choropleth, clustered targets."""

from __future__ import annotations

import pytest

from matchmaker.ars import maps
from matchmaker.maps import MapPoint

ARIEGE = maps.DepartmentRate("09", "Ariège", 42.965, 1.607, 6, 1, 1 / 6)
GERS = maps.DepartmentRate("32", "Gers", 43.646, 0.586, 0, 0, None)


@pytest.mark.parametrize(
    ("rate", "colour"),
    [
        (0.0, "#eff3ff"),
        (0.199, "#eff3ff"),
        (0.2, "#bdd7e7"),
        (0.5, "#6baed6"),
        (0.79, "#3182bd"),
        (1.0, "#08519c"),
        (None, maps.NO_DATA_COLOUR),
    ],
)
def test_rate_classes(rate: float | None, colour: str) -> None:
    assert maps.rate_colour(rate) == colour


def test_circles_without_boundaries() -> None:
    figure = maps.rate_map([ARIEGE, GERS])
    assert figure.script.count("L.circleMarker(") == 2
    assert "16,7\u00a0%, 1 embarqués sur 6" in figure.script
    assert "Gers (32) : —" in figure.script


def test_choropleth_keeps_the_region_s_departments_only() -> None:
    square = {"type": "Polygon", "coordinates": [[[1, 42.5], [2, 42.5], [2, 43.2], [1, 42.5]]]}
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "09"}, "geometry": square},
            {"type": "Feature", "properties": {"code": "75"}, "geometry": square},
        ],
    }
    figure = maps.rate_map([ARIEGE, GERS], boundaries)
    assert "L.circleMarker(" not in figure.script
    assert figure.marker_count == 1  # Paris is not in the region; Gers has no shape
    # A file whose key does not match falls back to circles.
    assert "L.circleMarker(" in maps.rate_map([ARIEGE], boundaries, key="nom").script


def test_targets_are_always_clustered() -> None:
    figure = maps.targets_map([MapPoint(42.96, 1.60, "EHPAD <b>X</b>")])
    assert figure.clustered and "L.markerClusterGroup()" in figure.script
    assert "<b>X</b>" not in figure.script  # labels are escaped
