"""Neighbours: same editor or no DUI within the radius, nearest first, contacts only when
shared, how many more are needed; the map and its clustering."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import Role, User
from matchmaker.organisations import services
from matchmaker.organisations.neighbours import bounding_box, find_neighbours, min_size_for
from solver.geo import haversine_km
from tests.factories import MakeUser
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, add_establishment


def declare(session: Session, user: User, finess_et: str, dui: str, editor: str | None) -> None:
    services.declare(
        session,
        user,
        [finess_et],
        services.DeclarationInput(editor, dui, "aucun", None, None, False, False, True, None, None),
    )


@pytest.fixture
def declared(db_session: Session, world: World, make_user: MakeUser) -> dict[str, User]:
    """A: Rennes (Acme), Cesson (Berger), Vitré (not declared); B: Bruz (Acme),
    Saint-Malo (no DUI, 65 km from Rennes)."""
    a = make_user(Role.OG, email="a@alpha.fr")
    b = make_user(Role.OG, email="b@beta.fr", organisation=world.og_b.finess_ej)
    declare(db_session, a, "350000101", "reference_segur", "Acme")
    declare(db_session, a, "350000102", "non_reference", "Berger")
    declare(db_session, b, "350000201", "non_reference", "ACME")
    declare(db_session, b, "350000202", "aucun", None)
    db_session.commit()
    return {"a": a, "b": b}


def report(session: Session, user: User, finess_et: str, radius: float):  # type: ignore[no-untyped-def]
    return find_neighbours(
        session,
        user,
        finess_et,
        radius,
        min_size=15,
        min_size_reduced=8,
        reduced_departments={"2A", "2B", "974"},
    )


def test_same_editor_or_no_dui_within_radius(
    db_session: Session, world: World, declared: dict[str, User]
) -> None:
    near = report(db_session, declared["a"], "350000101", 50)
    assert [n.finess_et for n in near.neighbours] == ["350000201"]  # Berger is left out
    assert near.origin_editor == "Acme" and near.undeclared == 1  # Vitré, not declared
    assert near.needed == 13 and near.min_size == 15
    bruz = near.neighbours[0]
    assert bruz.distance_km == pytest.approx(haversine_km(48.11, -1.68, 48.02, -1.75), abs=0.1)
    assert bruz.contact_email is None and not bruz.same_og

    wide = report(db_session, declared["a"], "350000101", 100)
    assert [n.finess_et for n in wide.neighbours] == ["350000201", "350000202"]
    assert wide.needed == 12


def test_no_editor_means_every_declared_neighbour(
    db_session: Session, world: World, declared: dict[str, User]
) -> None:
    seen = report(db_session, declared["b"], "350000202", 100)
    assert {n.finess_et for n in seen.neighbours} == {"350000101", "350000102", "350000201"}
    assert dict(seen.editor_counts)["Berger"] == 1


def test_contact_only_when_shared(
    db_session: Session, world: World, declared: dict[str, User]
) -> None:
    declared["b"].share_contact = True
    db_session.commit()
    near = report(db_session, declared["a"], "350000101", 50)
    assert near.neighbours[0].contact_email == "b@beta.fr"


@pytest.mark.parametrize(("department", "expected"), [("35", 15), ("974", 8), ("2A", 8)])
def test_minimum_by_department(department: str, expected: int) -> None:
    assert min_size_for(department, 15, 8, {"2A", "2B", "974"}) == expected


def test_bounding_box_encloses_the_circle() -> None:
    lat_min, lat_max, lon_min, lon_max = bounding_box(48.0, -1.0, 50)
    assert haversine_km(48.0, -1.0, lat_max, -1.0) == pytest.approx(50, rel=0.01)
    assert haversine_km(48.0, -1.0, 48.0, lon_max) >= 50 * 0.99
    assert lat_min < 48.0 < lat_max and lon_min < -1.0 < lon_max


def test_neighbours_page(
    client: CsrfClient, auth: Auth, world: World, declared: dict[str, User]
) -> None:
    auth.login(declared["a"])
    page = client.get("/essms/350000101/voisins?rayon=100").get_data(as_text=True)
    assert "EHPAD BETA" in page and "FOYER BETA" in page and "SSIAD ALPHA" not in page
    assert "Il manque <strong>12</strong>" in page
    # The map's data comes from its endpoint, guarded like the page: not inline.
    assert 'data-map-source="/essms/350000101/voisins.geojson?rayon=100' in page
    assert "js/maps.js" in page and "vendor/leaflet/leaflet.js" in page
    assert "cdn.jsdelivr" not in page and "<script>" not in page
    data = client.get("/essms/350000101/voisins.geojson?rayon=100").get_json()
    labels = [f["properties"].get("label") for f in data["features"]]
    assert "EHPAD BETA" in labels and "SSIAD ALPHA" not in labels
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds.count("origin") == 1 and kinds.count("radius") == 1
    radius = next(f for f in data["features"] if f["properties"]["kind"] == "radius")
    assert radius["properties"]["radius_m"] == 100_000
    assert client.get("/essms/350000201/voisins.geojson").status_code == 403
    # The radius is capped by NEIGHBOUR_MAX_RADIUS_KM.
    assert 'value="300"' in client.get("/essms/350000101/voisins?rayon=9999").get_data(as_text=True)
    # Another OG's ESSMS: not for OG A.
    assert client.get("/essms/350000201/voisins").status_code == 403


def test_many_markers_are_clustered(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    client: CsrfClient,
    auth: Auth,
    db_session: Session,
    world: World,
    declared: dict[str, User],
) -> None:
    for n in range(6):
        add_establishment(
            db_session,
            f"35800{n:04d}",
            world.og_b,
            name=f"SAAD {n}",
            latitude=48.1 + n / 100,
            longitude=-1.7,
        )
        db_session.commit()
        declare(db_session, declared["b"], f"35800{n:04d}", "aucun", None)
    monkeypatch.setitem(app.config, "MAP_CLUSTER_THRESHOLD", 5)
    auth.login(declared["a"])
    page = client.get("/essms/350000101/voisins").get_data(as_text=True)
    assert 'data-cluster-threshold="5"' in page  # the browser clusters above it
    data = client.get("/essms/350000101/voisins.geojson").get_json()
    assert sum(f["properties"]["kind"] == "neighbour" for f in data["features"]) > 5


def test_an_editor_that_is_only_a_preference_is_said_so(
    client: CsrfClient, db_session: Session, auth: Auth, world: World, declared: dict[str, User]
) -> None:
    # Saint-Malo has no DUI yet but prefers Acme: it is not an Acme client.
    declare(db_session, declared["b"], "350000202", "aucun", "Acme")
    db_session.commit()
    auth.login(declared["a"])
    page = client.get("/essms/350000101/voisins?rayon=100").get_data(as_text=True)
    row = page[page.index("FOYER BETA") :].split("</tr>", 1)[0]
    assert "pas de DUI" in row and "préférence : Acme" in row
