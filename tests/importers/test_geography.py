"""The departments table: codes, regions, FINESS translations, boxes, projections."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from importers.geography import (
    DEPARTMENTS,
    PROGRAMME_REGIONS,
    REGIONS,
    UnknownDepartment,
    department_of_commune,
    departments_of_region,
    insee_department,
    reduced_minimum_applies,
    territory,
)
from matchmaker.funding.scales import load_scale

MAINLAND = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]


def test_every_department_is_listed() -> None:
    assert len(MAINLAND) == 96
    assert set(MAINLAND) <= set(DEPARTMENTS)
    assert {"971", "972", "973", "974", "976"} <= set(DEPARTMENTS)  # the 101 departments
    assert {"975", "977", "978", "986"} <= set(DEPARTMENTS)
    assert len(DEPARTMENTS) == 105


def test_the_18_regions() -> None:
    assert len(PROGRAMME_REGIONS) == 18
    assert {dep.region_code for dep in DEPARTMENTS.values()} <= set(REGIONS)
    sizes = {region: len(departments_of_region(region)) for region in PROGRAMME_REGIONS}
    assert sizes["84"] == 12  # Auvergne-Rhône-Alpes
    assert sizes["76"] == 13  # Occitanie
    assert sizes["11"] == 8  # Île-de-France
    assert sizes["94"] == 2  # Corse
    assert sizes["01"] == 3  # Guadeloupe with Saint-Barthélemy and Saint-Martin


@pytest.mark.parametrize("department", sorted(DEPARTMENTS))
def test_prefecture_inside_its_box(department: str) -> None:
    dep = DEPARTMENTS[department]
    assert dep.lat_min < dep.lat_max and dep.lon_min < dep.lon_max
    assert dep.contains(dep.latitude, dep.longitude, margin=0)


@pytest.mark.parametrize(
    ("finess", "postcode", "insee"),
    [
        ("01", None, "01"),
        ("1", None, "01"),
        ("2A", None, "2A"),
        ("2b", None, "2B"),
        ("9A", "97110", "971"),
        ("9A", None, "971"),
        ("9B", "97200", "972"),
        ("9C", None, "973"),
        ("9D", None, "974"),
        ("9E", None, "975"),
        ("9F", None, "976"),
        ("9J", None, "986"),
        ("974", None, "974"),
    ],
)
def test_finess_department_codes(finess: str, postcode: str | None, insee: str) -> None:
    assert insee_department(finess) == insee
    assert territory(None, postcode, finess) == insee


@pytest.mark.parametrize(
    ("commune", "postcode", "finess", "expected"),
    [
        # Saint-Barthélemy and Saint-Martin: FINESS's pre-2007 commune codes decide, in
        # both formats (legacy: 9A + 123/127; FINESS+: cogCommune 97123/97127).
        ("97123", "97133", "9A", "977"),
        ("97127", "97150", "9A", "978"),
        ("97127", None, None, "978"),
        ("97701", None, None, "977"),
        ("97801", None, None, "978"),
        (None, "97150", "9A", "978"),
        ("97110", "97110", "9A", "971"),
        ("97502", "97500", "9E", "975"),
        ("2A004", "20000", "2A", "2A"),
        ("35238", "35000", "35", "35"),
        (None, None, "35", "35"),
    ],
)
def test_one_territory_rule(
    commune: str | None, postcode: str | None, finess: str | None, expected: str
) -> None:
    assert territory(commune, postcode, finess) == expected


@pytest.mark.parametrize("code", ["20", "96", "9Z", "", "XX"])
def test_unknown_departments(code: str) -> None:
    with pytest.raises(UnknownDepartment):
        insee_department(code)


@pytest.mark.parametrize(
    ("commune", "department"),
    [("01053", "01"), ("2A004", "2A"), ("97411", "974"), ("98613", "986"), ("975", None)],
)
def test_department_of_commune(commune: str, department: str | None) -> None:
    assert department_of_commune(commune) == department


@pytest.mark.parametrize(
    ("department", "reduced"),
    [
        ("2A", True), ("2B", True), ("974", True), ("9D", True), ("976", True), ("35", False),
        ("975", True), ("977", True), ("978", True), ("986", False),
    ],
)  # fmt: skip
def test_reduced_minimum(department: str, reduced: bool) -> None:
    """One list, the scale file's; FINESS codes are translated before looking it up."""
    programme = load_scale().overseas_corsica_departments
    assert reduced_minimum_applies(department, programme) is reduced


@pytest.mark.parametrize("department", sorted(DEPARTMENTS))
def test_projection_round_trip(department: str) -> None:
    """Each department's CRS is valid there: the prefecture projects and comes back."""
    dep = DEPARTMENTS[department]
    forward = Transformer.from_crs(4326, dep.epsg, always_xy=True)
    back = Transformer.from_crs(dep.epsg, 4326, always_xy=True)
    x, y = forward.transform(dep.longitude, dep.latitude)
    lon, lat = back.transform(x, y)
    assert abs(lat - dep.latitude) < 1e-6 and abs(lon - dep.longitude) < 1e-6
    if dep.epsg != 2154:  # UTM: false easting 500 km, within ~4° of the central meridian
        assert 100_000 < x < 900_000
