"""The maps' shared parts: the shipped outlines (offline base layer), the GeoJSON helpers
of ``matchmaker.maps``, the tile setting and the establishment page's map."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.maps import (
    OUTLINES_ATTRIBUTION,
    MapPoint,
    neighbours_geojson,
    parse_bbox,
    point_feature,
)
from tests.helpers import ROOT, CsrfClient
from tests.support.bretagne import add_establishment, add_organisation

GEO = ROOT / "static" / "geo"
OVERSEAS = {"971", "972", "973", "974", "976"}


def _load(name: str) -> dict:
    return json.loads((GEO / name).read_text(encoding="utf-8"))


def test_the_department_outlines_cover_mainland_corsica_and_overseas() -> None:
    outlines = _load("departements.geojson")
    codes = {f["properties"]["code"] for f in outlines["features"]}
    assert len(codes) == 101 and OVERSEAS | {"2A", "2B", "29", "75"} <= codes
    assert outlines["attribution"] == OUTLINES_ATTRIBUTION
    assert (GEO / "departements.geojson").stat().st_size < 300 * 1024  # simplified
    for feature in outlines["features"]:
        # The label point lies within the department's extent.
        rings = feature["geometry"]["coordinates"]
        if feature["geometry"]["type"] == "Polygon":
            rings = [rings]
        xs = [x for polygon in rings for ring in polygon for x, _y in ring]
        ys = [y for polygon in rings for ring in polygon for _x, y in ring]
        x, y = feature["properties"]["label"]
        assert min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys), feature["properties"]


def test_the_region_outlines_and_the_notice() -> None:
    regions = _load("regions.geojson")
    assert len(regions["features"]) == 18
    notice = (GEO / "NOTICE.md").read_text(encoding="utf-8")
    assert "IGN Admin Express 2018" in notice and "Licence Ouverte" in notice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1.8,47.9,-1.5,48.2", (-1.8, 47.9, -1.5, 48.2)),
        (None, None),
        ("", None),
        ("a,b,c,d", None),
        ("1,2,3", None),
        ("-1.5,47.9,-1.8,48.2", None),  # west east of east
        ("0,-95,1,0", None),
    ],
)
def test_parse_bbox(text: str | None, expected: object) -> None:
    assert parse_bbox(text) == expected


def test_features_carry_plain_text_and_rounded_coordinates() -> None:
    point = MapPoint(48.1234567, -1.6789012, "EHPAD <b>X</b>", ("a", "", "b"), kind="member")
    feature = point_feature(point)
    assert feature["geometry"]["coordinates"] == [-1.678901, 48.123457]
    assert feature["properties"]["label"] == "EHPAD <b>X</b>"
    assert feature["properties"]["lines"] == ["a", "b"]


def test_the_neighbours_map_shows_the_radius_whole() -> None:
    origin = MapPoint(48.0, -1.0, "ici", kind="origin")
    data = neighbours_geojson(origin, [], 50)
    (south, west), (north, east) = data["meta"]["zoom_to"]
    assert north - south == pytest.approx(2 * 50 / 111.32)
    assert west < -1.0 < east and east - west > north - south  # wider at 48° N


def test_the_establishment_page_shows_its_position(client: CsrfClient, db_session: Session) -> None:
    og = add_organisation(db_session, "350000001", "ASSO")
    hostile = 'EHPAD "<script>alert(1)</script>'
    add_establishment(db_session, "350000101", og, name=hostile)
    add_establishment(db_session, "350000102", og, name="SANS GPS", latitude=None, longitude=None)
    db_session.commit()
    page = client.get("/etablissements/350000101").get_data(as_text=True)
    assert "<script>alert" not in page
    found = re.search(r'data-map-data="([^"]*)"', page)
    assert found is not None
    data = json.loads(html.unescape(found.group(1)))
    (feature,) = data["features"]
    assert feature["geometry"]["coordinates"] == [-1.68, 48.11]
    assert feature["properties"]["label"] == hostile and feature["properties"]["kind"] == "origin"
    assert "js/maps.js" in page
    unlocated = client.get("/etablissements/350000102").get_data(as_text=True)
    assert "data-map-kind" not in unlocated and "js/maps.js" not in unlocated


def test_tiles_are_optional_and_off_by_default(
    app: Flask, client: CsrfClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    og = add_organisation(db_session, "350000001", "ASSO")
    add_establishment(db_session, "350000101", og, name="EHPAD")
    db_session.commit()
    page = client.get("/etablissements/350000101").get_data(as_text=True)
    assert "data-tiles-url" not in page and "openstreetmap" not in page.lower()
    assert 'data-outlines-departments="/static/geo/departements.geojson"' in page
    assert f'data-outlines-attribution="{OUTLINES_ATTRIBUTION}"' in page
    monkeypatch.setitem(app.config, "MAP_TILES_URL", "https://tuiles.example/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "MAP_TILES_ATTRIBUTION", "© Exemple")
    tiled = client.get("/etablissements/350000101").get_data(as_text=True)
    assert 'data-tiles-url="https://tuiles.example/{z}/{x}/{y}.png"' in tiled
    assert 'data-tiles-attribution="© Exemple"' in tiled
