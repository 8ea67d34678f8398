"""The desk's pages: who may open them, what they show, the forms that write."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.models import ChampWeight, ContactAction, Role
from tests.helpers import Auth, CsrfClient
from tests.support.occitanie import World

PAGES = [
    "/ars/",
    "/ars/tableau-de-bord.xlsx",
    "/ars/non-embarques",
    "/ars/non-embarques.xlsx",
    "/ars/non-embarques.csv",
    "/ars/non-embarques.geojson",
    "/ars/contacts",
    "/ars/contacts/essms/090000302",
    "/ars/contacts/og/090000003",
    "/ars/simulations",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client: CsrfClient, world: World, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.OG, Role.COLLECTIF])
def test_organisations_and_collectifs_cannot_reach_the_desk(
    client: CsrfClient, auth: Auth, role: Role
) -> None:
    auth.login(role, form=True)
    assert {path: client.get(path).status_code for path in PAGES} == dict.fromkeys(PAGES, 403)
    assert client.post("/ars/priorites", data={"weight_PA": "2"}).status_code == 403
    assert client.post("/ars/simulations", data={"departement": "09"}).status_code == 403


def test_an_ars_user_opens_every_page_of_its_region(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, form=True)
    assert {path: client.get(path).status_code for path in PAGES} == dict.fromkeys(PAGES, 200)
    nav = client.get("/ars/").get_data(as_text=True)
    assert "Bureau ARS" in nav


def test_an_ars_user_cannot_open_another_region(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, region="53", form=True)
    assert client.get("/ars/?region=76").status_code == 403
    assert client.get("/ars/contacts/essms/090000302").status_code == 403
    assert client.get("/ars/contacts/og/090000003").status_code == 403
    assert client.get("/ars/contacts/essms/350000501").status_code == 200
    assert client.get("/ars/?departement=31").status_code == 404


def test_the_dashboard_shows_the_hand_counted_figures(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, form=True)
    page = client.get("/ars/").get_data(as_text=True)
    assert re.search(r'id="chiffre-eligibles">10<', page)
    assert re.search(r'id="chiffre-embarques">4<', page)
    assert re.search(r'id="chiffre-taux">40,0\u00a0%<', page)
    assert "Occitanie" in page and "Ariège" in page
    assert '<th scope="col">Taux d\'embarquement</th>' in page
    # The choropleth on the shipped outlines, each department labelled (no file to set).
    assert 'data-map-kind="choropleth"' in page
    found = re.search(r'data-map-data="([^"]*)"', page)
    assert found, "the rate map carries its data"
    areas = json.loads(html.unescape(found.group(1)))["meta"]["areas"]
    assert areas["09"]["short"] == "09 : 16,7\u00a0%"
    ariege = client.get("/ars/?departement=09").get_data(as_text=True)
    assert re.search(r'id="chiffre-eligibles">6<', ariege)


def test_an_administrator_chooses_the_region(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ADMIN, form=True)
    page = client.get("/ars/?region=76").get_data(as_text=True)
    assert re.search(r'id="chiffre-eligibles">10<', page)
    bretagne = client.get("/ars/?region=53").get_data(as_text=True)
    assert re.search(r'id="chiffre-eligibles">1<', bretagne)
    assert client.get("/ars/?region=99").status_code == 404


def test_the_non_embarked_page_lists_filters_and_maps(
    client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    page = client.get("/ars/non-embarques").get_data(as_text=True)
    assert 'id="nombre-resultats">6 ESSMS<' in page
    assert page.index(world.n3.finess_et) < page.index(world.b1.finess_et)
    assert 'data-map-source="/ars/non-embarques.geojson?region=76"' in page
    assert 'data-cluster-threshold="0"' in page  # always clustered where dense
    data = client.get("/ars/non-embarques.geojson?departement=31").get_json()
    assert [f["properties"]["lines"][0] for f in data["features"]] == [
        f"FINESS {world.b1.finess_et}"
    ]
    filtered = client.get("/ars/non-embarques?departement=31").get_data(as_text=True)
    assert 'id="nombre-resultats">1 ESSMS<' in filtered and world.b1.finess_et in filtered
    # A department of another region is not a choice: the filter is ignored.
    other = client.get("/ars/non-embarques?departement=35").get_data(as_text=True)
    assert 'id="nombre-resultats">6 ESSMS<' in other
    small = client.get("/ars/non-embarques?petit_og=y").get_data(as_text=True)
    assert 'id="nombre-resultats">5 ESSMS<' in small


def test_the_champ_weights_form(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    data = {f"weight_{c}": "1" for c in ("PA", "PH", "DOM", "PDS", "PDE", "AHI", "PJM")}
    data["weight_PA"] = "3"
    response = client.post("/ars/priorites", data=data)
    assert response.status_code == 302
    stored = db_session.scalar(
        select(ChampWeight.weight).where(ChampWeight.region == "76", ChampWeight.champ == "PA")
    )
    assert stored == 3
    page = client.get("/ars/non-embarques").get_data(as_text=True)
    assert page.index(world.c[1].finess_et) < page.index(world.n3.finess_et)
    data["weight_PA"] = "99"
    refused = client.post("/ars/priorites", data=data, follow_redirects=True)
    assert "Priorités non enregistrées" in refused.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.ARS, form=True)
    response = client.post(
        "/ars/contacts/essms/090000302",
        data={"acted_on": "2026-11-02", "channel": "phone", "stage": "contacted"},
        csrf=False,
    )
    assert response.status_code in (200, 400)
    assert "La page a expiré" in response.get_data(as_text=True) or response.status_code == 400


def test_the_contact_form_records_and_supersedes(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    user = auth.login(Role.ARS, form=True)
    path = f"/ars/contacts/essms/{world.c[1].finess_et}"
    for stage in ("contacted", "interested"):
        response = client.post(
            path,
            data={
                "acted_on": "2026-11-02",
                "channel": "phone",
                "stage": stage,
                "outcome": "Joint",
                "next_step": "Mail",
            },
        )
        assert response.status_code == 302
    actions = list(
        db_session.scalars(
            select(ContactAction)
            .where(ContactAction.finess_et == world.c[1].finess_et)
            .order_by(ContactAction.id)
        )
    )
    assert [(a.stage, a.is_current) for a in actions] == [
        ("contacted", False),
        ("interested", True),
    ]
    assert actions[1].user_id == user.id
    page = client.get(path).get_data(as_text=True)
    assert "remplacée" in page and "en cours" in page
    log = client.get("/ars/contacts").get_data(as_text=True)
    assert world.c[1].finess_et in log and "Intéressé" in log
    og = client.post(
        f"/ars/contacts/og/{world.og_c.finess_ej}",
        data={"acted_on": "2026-11-03", "channel": "webinar", "stage": "contacted"},
    )
    assert og.status_code == 302
    dashboard = client.get("/ars/").get_data(as_text=True)
    assert "Non embarqués jamais contactés" in dashboard


def test_the_contact_form_refuses_a_date_in_the_future(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    path = f"/ars/contacts/essms/{world.c[1].finess_et}"
    response = client.post(
        path, data={"acted_on": "2030-01-01", "channel": "phone", "stage": "contacted"}
    )
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "La date de l'action (01/01/2030) est dans le futur" in page
    count = db_session.scalar(
        select(func.count())
        .select_from(ContactAction)
        .where(ContactAction.finess_et == world.c[1].finess_et)
    )
    assert count == 0


def test_another_region_does_not_see_the_log(
    client: CsrfClient, auth: Auth, make_user, db_session: Session, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    client.post(
        f"/ars/contacts/essms/{world.c[1].finess_et}",
        data={"acted_on": "2026-11-02", "channel": "phone", "stage": "contacted"},
    )
    client.post("/deconnexion")
    auth.login(Role.ARS, region="53", form=True)
    log = client.get("/ars/contacts").get_data(as_text=True)
    assert world.c[1].finess_et not in log and "Aucune action enregistrée" in log


def test_every_desk_route_is_for_ars_and_administrators_only(app: Flask) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("ars.")]
    assert len(rules) == 15  # with the two map endpoints and the two simulation actions
    for rule in rules:
        roles = getattr(app.view_functions[rule.endpoint], "allowed_roles", None)
        assert roles == frozenset({Role.ARS, Role.ADMIN}), rule.rule


def test_an_administrator_logs_a_contact_in_the_region_it_chose(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    auth.login(Role.ADMIN, form=True)
    path = f"/ars/contacts/essms/{world.n3.finess_et}?region=76"
    response = client.post(
        path, data={"acted_on": "2026-11-04", "channel": "mail", "stage": "contacted"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("?region=76")
    action = db_session.scalar(select(ContactAction))
    assert action is not None and action.region == "76"
    # Without choosing, the administrator is on the first region: not this ESSMS's.
    assert client.get(f"/ars/contacts/essms/{world.n3.finess_et}").status_code == 403


def test_the_non_embarked_map_opens_on_a_summary_when_large(
    app: Flask, monkeypatch: pytest.MonkeyPatch, client: CsrfClient, auth: Auth, world: World
) -> None:
    monkeypatch.setitem(app.config, "MAP_SUMMARY_THRESHOLD", 3)
    auth.login(Role.ARS, form=True)
    data = client.get("/ars/non-embarques.geojson").get_json()
    assert data["meta"]["mode"] == "summary"
    circles = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert sum(c["count"] for c in circles.values()) == 6
    assert circles["31"]["short"] == "1"
    assert circles["09"]["href"] == "/ars/non-embarques?region=76&departement=09"
    # A department, or a viewport, is drawn point by point.
    ariege = client.get("/ars/non-embarques.geojson?departement=09").get_json()
    assert ariege["meta"].get("mode") != "summary" and len(ariege["features"]) == 5
    toulouse = client.get("/ars/non-embarques.geojson?bbox=1.0,43.3,1.8,43.9").get_json()
    assert [f["properties"]["lines"][0] for f in toulouse["features"]] == [
        f"FINESS {world.b1.finess_et}"
    ]
