"""The console's run map: its GeoJSON endpoint (roles, filters, summary per department)
and page sizes on a generated instance (the page carries no marker, whatever the run)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.campaigns import maps
from matchmaker.models import Role
from tests.factories import make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk
from tests.support.mapdata import SPREAD, BigRun, generate

MAX_PAGE_BYTES = 300 * 1024


@pytest.fixture
def big(db_session: Session, desk: Desk) -> BigRun:
    return generate(db_session, desk.run, grappes=120, size=20, left_out=300, first_number=3)


def url(desk: Desk, suffix: str = "") -> str:
    return f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}{suffix}"


def test_readers_only(client: CsrfClient, db_session: Session, desk: Desk) -> None:
    assert client.get(url(desk, "/carte.geojson")).status_code == 302  # to the login page
    login(client, make_user(db_session, Role.OG))
    assert client.get(url(desk, "/carte.geojson")).status_code == 403
    client.post("/deconnexion")
    login(client, make_user(db_session, Role.ARS, region="53"))
    assert client.get(url(desk, "/carte.geojson")).status_code == 200
    client.post("/deconnexion")
    login(client, make_user(db_session, Role.COLLECTIF, region="11"))  # another region
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
    # 122 grappes (25 a page), 302 left out (100 a page)
    assert "Page 2 sur 5" in second and "Page 3 sur 4" in second
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
    assert "3,2\u00a0km du centre" in carrier["lines"]
    many = maps.run_geojson(
        [maps.MapGrappe(n, "Alpha", "", None, None, [member]) for n in range(1, 15)]
    )
    assert many["meta"]["hulls"] and many["meta"]["group_labels"]
    # More grappes than the legend can name: it explains the symbols instead.
    assert len(many["meta"]["legend"]) == 2
