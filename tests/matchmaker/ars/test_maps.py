"""The desk's maps: rate classes, the labelled choropleth, the targets' points."""

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


def test_the_rate_map_labels_each_department_of_the_region() -> None:
    data = maps.rate_geojson([ARIEGE, GERS])
    assert data["meta"]["mode"] == "choropleth" and data["features"] == []
    ariege, gers = data["meta"]["areas"]["09"], data["meta"]["areas"]["32"]
    assert ariege["short"] == "09 : 16,7\u00a0%" and ariege["colour"] == maps.rate_colour(1 / 6)
    assert "1 embarqués sur 6 ESSMS éligibles" in ariege["lines"]
    assert gers["short"] == "32 : —" and gers["colour"] == maps.NO_DATA_COLOUR
    assert set(data["meta"]["areas"]) == {"09", "32"}


def test_targets_are_points_with_plain_text_labels() -> None:
    data = maps.targets_geojson([MapPoint(42.96, 1.60, "EHPAD <b>X</b>")])
    (feature,) = data["features"]
    assert feature["geometry"]["coordinates"] == [1.6, 42.96]
    # Plain text: the browser makes it a text node (never HTML).
    assert feature["properties"]["label"] == "EHPAD <b>X</b>"
