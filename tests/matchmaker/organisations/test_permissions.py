"""Every protected route of the organisations' site × every role: allowed, forbidden, or
sent to the login page; and every route of the site is either role-guarded or explicitly
public."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import Role
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, publish_grappe

OK, FORBIDDEN, LOGIN = "ok", "forbidden", "login"
ANONYMOUS = "anonyme"
ROLES = [ANONYMOUS, *(role.value for role in Role)]

#: Blueprints of the organisations' site (issue 6); their routes are audited below.
SITE_BLUEPRINTS = ("auth", "public", "organisations")


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    #: expected outcome per role; roles not listed are forbidden, anonymous goes to login
    allowed: tuple[str, ...]

    def expected(self, role: str) -> str:
        if role == ANONYMOUS:
            return LOGIN
        return OK if role in self.allowed else FORBIDDEN


EVERYONE = ("og", "collectif", "ars", "admin")
#: {a0}: an ESSMS of OG A (the OG user's own), {ej}: OG A, {grappe}: a published grappe
#: including OG A. Collectif and ARS users belong to OG A's region.
CASES = [
    Case("GET", "/compte", EVERYONE),
    Case("POST", "/compte", EVERYONE),
    Case("POST", "/deconnexion", EVERYONE),
    Case("GET", "/demandes", ("collectif", "admin")),
    Case("POST", "/demandes/999999", ("collectif", "admin")),
    Case("GET", "/admin/courriels", ("admin",)),
    Case("GET", "/admin/comptes", ("admin",)),
    Case("POST", "/admin/comptes/999999", ("admin",)),
    Case("POST", "/admin/domaines", ("admin",)),
    Case("GET", "/mon-organisme", ("og", "admin")),
    Case("GET", "/organismes/{ej}", EVERYONE),
    Case("GET", "/organismes/{ej}/declaration-groupee", ("og", "admin")),
    Case("POST", "/organismes/{ej}/interet", ("og", "admin")),
    Case("POST", "/organismes/{ej}/confirmer", ("og", "admin")),
    Case("GET", "/essms/{a0}/declaration", ("og", "admin")),
    Case("POST", "/essms/{a0}/declaration", ("og", "admin")),
    Case("GET", "/essms/{a0}/historique", EVERYONE),
    Case("GET", "/essms/{a0}/voisins", EVERYONE),
    Case("GET", "/essms/{a0}/voisins.geojson", EVERYONE),
    Case("GET", "/api/editeurs?q=a", EVERYONE),
    Case("GET", "/mes-grappes", ("og",)),
    Case("GET", "/mes-grappes/{grappe}", EVERYONE),
    Case("POST", "/mes-grappes/{grappe}", ("og", "admin")),
    Case("GET", "/mes-grappes/{grappe}/carte.geojson", EVERYONE),
]


def outcome(status: int, location: str) -> str:
    if status == 403:
        return FORBIDDEN
    if status in (301, 302, 303) and location.startswith("/connexion"):
        return LOGIN
    assert status < 400, status
    return OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_route_permissions(
    client: CsrfClient, auth: Auth, db_session: Session, world: World, case: Case, role: str
) -> None:
    grappe = publish_grappe(db_session, world)
    if role != ANONYMOUS:
        auth.login(Role(role))
    path = case.path.format(
        ej=world.og_a.finess_ej, a0=world.essms_a[0].finess_et, grappe=grappe.id
    )
    if case.method == "GET":
        response = client.get(path)
    else:
        data = {"answer": "accepte", "approve": "Approuver", "finess_ej": world.og_a.finess_ej}
        response = client.post(path, data=data)
    assert outcome(response.status_code, response.headers.get("Location", "")) == case.expected(
        role
    ), response.status_code


@pytest.mark.parametrize("role", ["collectif", "ars"])
def test_regional_users_of_another_region_see_nothing(
    client: CsrfClient, auth: Auth, db_session: Session, world: World, role: str
) -> None:
    grappe = publish_grappe(db_session, world)
    auth.login(Role(role), region="28")
    for path in (
        f"/organismes/{world.og_a.finess_ej}",
        f"/essms/{world.essms_a[0].finess_et}/historique",
        f"/essms/{world.essms_a[0].finess_et}/voisins",
        f"/mes-grappes/{grappe.id}",
        f"/essms/{world.essms_a[0].finess_et}/voisins.geojson",
        f"/mes-grappes/{grappe.id}/carte.geojson",
    ):
        assert client.get(path).status_code == 403, path


def test_every_route_of_the_app_is_guarded_or_public(app: Flask) -> None:
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not (getattr(view, "allowed_roles", None) or getattr(view, "is_public", False)):
            unguarded.append(rule.rule)
    assert unguarded == []


def test_the_table_covers_every_protected_site_route(app: Flask) -> None:
    covered = {case.path.split("?")[0] for case in CASES}
    patterns = {
        "/organismes/<finess_ej>": "/organismes/{ej}",
        "/organismes/<finess_ej>/declaration-groupee": "/organismes/{ej}/declaration-groupee",
        "/organismes/<finess_ej>/interet": "/organismes/{ej}/interet",
        "/organismes/<finess_ej>/confirmer": "/organismes/{ej}/confirmer",
        "/essms/<finess_et>/declaration": "/essms/{a0}/declaration",
        "/essms/<finess_et>/historique": "/essms/{a0}/historique",
        "/essms/<finess_et>/voisins": "/essms/{a0}/voisins",
        "/mes-grappes/<int:grappe_id>": "/mes-grappes/{grappe}",
        "/essms/<finess_et>/voisins.geojson": "/essms/{a0}/voisins.geojson",
        "/mes-grappes/<int:grappe_id>/carte.geojson": "/mes-grappes/{grappe}/carte.geojson",
        "/demandes/<int:user_id>": "/demandes/999999",
        "/admin/comptes/<int:user_id>": "/admin/comptes/999999",
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in SITE_BLUEPRINTS:
            continue
        if getattr(app.view_functions[rule.endpoint], "allowed_roles", None):
            assert patterns.get(rule.rule, rule.rule) in covered, rule.rule


#: Desks of the other roles, closed to OG representatives.
OTHER_DESKS = ("campaigns", "ars")


def desk_urls(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every route of the collectif and ARS desks, with sample values."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in OTHER_DESKS:
            continue
        values = {
            name: 1 if name.endswith("_id") else ("xlsx" if name == "fmt" else "350000101")
            for name in rule.arguments
        }
        path = adapter.build(rule.endpoint, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


def test_og_users_cannot_reach_collectif_and_ars_desks(
    app: Flask, client: CsrfClient, auth: Auth, world: World
) -> None:
    urls = desk_urls(app)
    if not urls:
        pytest.skip("the collectif and ARS desks are not registered")
    auth.login(Role.OG)
    refused = {
        (method, path): (client.get(path) if method == "GET" else client.post(path)).status_code
        for method, path in urls
    }
    assert set(refused.values()) == {403}, refused
