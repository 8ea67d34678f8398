"""The console's run map: its GeoJSON endpoint (roles, filters, summary per department)
and page sizes on a generated instance (the page carries no marker, whatever the run)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS
from matchmaker.campaigns import maps
from matchmaker.models import Establishment, Exclusion, Grappe, GrappeMember, Organisation, Role
from tests.campaigns.conftest import Desk, add_user, login
from tests.helpers import CsrfClient

#: Departments of the generated run, with La Réunion far from the mainland.
SPREAD = ("35", "44", "29", "56", "22", "974")
MAX_PAGE_BYTES = 300 * 1024


@dataclass
class BigRun:
    grappes: int
    members: int
    left_out: int
    by_department: dict[str, int]


def generate(session: Session, desk: Desk, grappes: int, size: int, left_out: int) -> BigRun:
    """Adds ``grappes`` grappes of ``size`` ESSMS and ``left_out`` left-out ESSMS to the desk's
    run, spread over ``SPREAD`` (bulk rows: the map reads only these tables)."""
    run = desk.run
    by_department: dict[str, int] = {}
    serial = 0
    rows: list[object] = []
    members: list[GrappeMember] = []
    exclusions: list[Exclusion] = []

    def place(department: str, k: int) -> tuple[float, float]:
        home = DEPARTMENTS[department]
        angle = k * 2.399963
        radius = 0.02 + 0.3 * math.sqrt((k % 97) / 97)
        return home.latitude + radius * math.sin(angle), home.longitude + radius * math.cos(angle)

    def essms(department: str) -> Establishment:
        nonlocal serial
        serial += 1
        ej = f"{department[:2]}8{serial:06d}"[:9]
        et = f"{department[:2]}9{serial:06d}"[:9]
        lat, lon = place(department, serial)
        rows.append(Organisation(finess_ej=ej, name=f"OG GÉNÉRÉ {serial}", essms_count=1))
        establishment = Establishment(
            finess_et=et,
            finess_ej=ej,
            short_name=f"EHPAD GÉNÉRÉ {serial}",
            department=department,
            region="04" if department == "974" else "53",
            latitude=lat,
            longitude=lon,
            category_code="500",
            champ="PA",
            is_essms=True,
            is_open=True,
        )
        rows.append(establishment)
        by_department[department] = by_department.get(department, 0) + 1
        return establishment

    grappe_rows = []
    for n in range(grappes):
        department = SPREAD[n % len(SPREAD)]
        home = DEPARTMENTS[department]
        grappe = Grappe(
            run_id=run.id,
            number=n + 3,
            editor_name=("Alpha Santé", "Beta Soft", "Gamma Info")[n % 3],
            centre_latitude=home.latitude,
            centre_longitude=home.longitude,
        )
        grappe_rows.append((grappe, [essms(department) for _ in range(size)]))
    for k in range(left_out):
        exclusions.append(
            Exclusion(
                run_id=run.id,
                finess_et=essms(SPREAD[k % len(SPREAD)]).finess_et,
                reason_code="too_far",
                reason="Trop loin des autres ESSMS de son éditeur.",
            )
        )
    session.add_all(rows)
    session.add_all([g for g, _ in grappe_rows])
    session.flush()
    for grappe, group in grappe_rows:
        for i, member in enumerate(group):
            members.append(
                GrappeMember(
                    grappe_id=grappe.id,
                    finess_et=member.finess_et,
                    finess_ej=member.finess_ej,
                    distance_km=5.0 + i,
                    is_carrier=i == 0,
                )
            )
    session.add_all(members + exclusions)
    session.commit()
    return BigRun(grappes, grappes * size, left_out, by_department)


@pytest.fixture
def big(db_session: Session, desk: Desk) -> BigRun:
    return generate(db_session, desk, grappes=120, size=20, left_out=300)


def url(desk: Desk, suffix: str = "") -> str:
    return f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}{suffix}"


def test_readers_only(client: CsrfClient, db_session: Session, desk: Desk) -> None:
    assert client.get(url(desk, "/carte.geojson")).status_code == 302  # to the login page
    login(client, add_user(db_session, Role.OG))
    assert client.get(url(desk, "/carte.geojson")).status_code == 403
    client.post("/deconnexion")
    login(client, add_user(db_session, Role.ARS, region="53"))
    assert client.get(url(desk, "/carte.geojson")).status_code == 200
    client.post("/deconnexion")
    login(client, add_user(db_session, Role.COLLECTIF, region="11"))  # another region
    assert client.get(url(desk, "/carte.geojson")).status_code == 403
    # A grappe of another run is not found through this run.
    client.post("/deconnexion")
    login(client, desk.owner)
    assert client.get(url(desk, "/carte.geojson?grappe=999999")).status_code == 404


def test_filters_by_editor_grappe_department_and_viewport(
    client: CsrfClient, desk: Desk, big: BigRun
) -> None:
    login(client, desk.owner)

    def members(query: str) -> list[dict]:
        data = client.get(url(desk, f"/carte.geojson?{query}")).get_json()
        assert data["meta"]["mode"] == "points", query
        return [
            f["properties"]
            for f in data["features"]
            if f["properties"]["kind"] in ("member", "carrier")
        ]

    everyone = members("")
    assert len(everyone) == 16 + 15 + big.members
    alpha = members("editeur=Alpha+Santé")
    assert alpha and all("— Alpha Santé" in p["lines"][1] for p in alpha)
    assert len(alpha) == 16 + 20 * len(range(0, big.grappes, 3))
    one = members(f"grappe={desk.beta.id}")
    assert len(one) == 15 and {p["group"] for p in one} == {2}
    reunion = members("departement=974")
    assert len(reunion) == 20 * len(range(5, big.grappes, 6))
    # Viewport: a box around Rennes holds desk's grappes, not La Réunion's.
    rennes = members("bbox=-2.5,47.6,-1.0,48.6")
    assert {p["group"] for p in rennes} >= {1, 2}
    assert not {p["group"] for p in reunion} & {p["group"] for p in rennes}
    # The left-out belong to no editor: the editor filter hides them.
    data = client.get(url(desk, "/carte.geojson?editeur=Beta+Soft")).get_json()
    assert all(f["properties"]["kind"] != "left-out" for f in data["features"])


def test_a_large_run_opens_on_a_summary_per_department(
    app: Flask, monkeypatch: pytest.MonkeyPatch, client: CsrfClient, desk: Desk, big: BigRun
) -> None:
    monkeypatch.setitem(app.config, "MAP_SUMMARY_THRESHOLD", 1000)
    login(client, desk.owner)
    data = client.get(url(desk, "/carte.geojson")).get_json()
    assert data["meta"]["mode"] == "summary"
    circles = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(circles) == set(SPREAD)
    assert circles["974"]["label"] == "La Réunion (974)"
    assert circles["974"]["short"] == str(len(range(5, big.grappes, 6)))  # its grappes
    counted = sum(c["count"] for c in circles.values())
    assert counted == 31 + 2 + big.members + big.left_out  # every located ESSMS, once
    # A department is loaded on demand, as points.
    detail = client.get(url(desk, "/carte.geojson?departement=974")).get_json()
    assert detail["meta"]["mode"] == "points"
    assert {f["properties"]["kind"] for f in detail["features"]} >= {"member", "centre"}


def test_pages_stay_light_and_carry_no_marker(client: CsrfClient, desk: Desk, big: BigRun) -> None:
    login(client, desk.owner)
    page = client.get(url(desk)).get_data()
    assert len(page) <= MAX_PAGE_BYTES, len(page)
    assert b"EHPAD G\xc3\x89N\xc3\x89R\xc3\x89 3000" not in page  # no marker inline
    assert b"<script>" not in page  # no inline script (CSP)
    second = client.get(url(desk, "?page=2&ecartes=3")).get_data(as_text=True)
    assert "Page 2 sur 2" in second and "Page 3 sur 4" in second  # 122 grappes, 302 left out
    grappe = client.get(url(desk, f"/grappes/{desk.alpha.id}")).get_data()
    assert len(grappe) <= MAX_PAGE_BYTES
    data = client.get(url(desk, "/carte.geojson?departement=35")).get_data()
    assert len(data) <= 1024 * 1024  # one department's map data


def test_run_geojson_draws_one_grappe_with_lines_and_many_with_areas() -> None:
    member = maps.MapMember("350000101", "EHPAD <b>", 48.1, -1.6, 3.2, True, "35")
    one = maps.MapGrappe(1, "Alpha", "OG", 48.0, -1.7, [member])
    single = maps.run_geojson([one])
    assert single["meta"]["centre_lines"] and not single["meta"]["hulls"]
    carrier = single["features"][0]["properties"]
    assert carrier["kind"] == "carrier" and carrier["label"] == "EHPAD <b>"
    assert "3,2 km du centre" in carrier["lines"]
    many = maps.run_geojson(
        [maps.MapGrappe(n, "Alpha", "", None, None, [member]) for n in range(1, 15)]
    )
    assert many["meta"]["hulls"] and many["meta"]["group_labels"]
    # More grappes than the legend can name: it explains the symbols instead.
    assert len(many["meta"]["legend"]) == 2
