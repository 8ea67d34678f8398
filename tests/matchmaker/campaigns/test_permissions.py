"""Every route of the console against every role: collectif owners and administrators run
a campaign; other collectif users and the ARS of its region read it; nobody else does."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from matchmaker.campaigns.views import bp
from matchmaker.models import Role
from tests.factories import make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def read_routes(desk: Desk) -> list[str]:
    c, r, g = desk.campaign.id, desk.run.id, desk.alpha.id
    base = f"/console/campagnes/{c}"
    return [
        f"{base}",
        f"{base}/calculs/{r}",
        f"{base}/calculs/{r}/grappes/{g}",
        f"{base}/calculs/{r}/export.xlsx",
        f"{base}/calculs/{r}/export.csv",
        f"{base}/grappes/{g}/export.xlsx",
        f"{base}/grappes/{g}/export.csv",
        f"{base}/journal",
        f"{base}/comparer?a={r}&b={r}",
    ]


def write_routes(desk: Desk) -> list[tuple[str, str, dict[str, str]]]:
    c, r, g = desk.campaign.id, desk.run.id, desk.beta.id
    base = f"/console/campagnes/{c}"
    return [
        ("get", f"{base}/modifier", {}),
        ("post", f"{base}/etat", {"action": "close_declarations"}),
        ("post", f"{base}/calculs", {"mode": "interest"}),
        ("post", f"{base}/calculs/{r}/ajuster", {"action": "freeze", "grappe_id": str(g)}),
        ("post", f"{base}/calculs/{r}/publier", {}),
        ("post", f"{base}/grappes/{g}/constituee", {}),
    ]


#: role, region, may read, may run the campaign
CASES = [
    ("owner", "53", True, True),
    (Role.ADMIN, None, True, True),
    (Role.COLLECTIF, "53", True, False),
    (Role.ARS, "53", True, False),
    (Role.COLLECTIF, "28", False, False),
    (Role.ARS, "28", False, False),
    (Role.OG, None, False, False),
]


@pytest.mark.parametrize(("who", "region", "may_read", "may_manage"), CASES, ids=lambda v: str(v))
def test_each_role_reaches_what_it_may(
    client: CsrfClient,
    db_session: Session,
    desk: Desk,
    who: Role | str,
    region: str | None,
    may_read: bool,
    may_manage: bool,
) -> None:
    user = desk.owner if who == "owner" else make_user(db_session, Role(who), region=region)
    login(client, user)
    for url in read_routes(desk):
        status = client.get(url).status_code
        assert (status == 200) == may_read, (url, status)
        if not may_read:
            assert status == 403, (url, status)
    for method, url, data in write_routes(desk):
        response = client.get(url) if method == "get" else client.post(url, data=data)
        if may_manage:
            assert response.status_code in (200, 302), (url, response.status_code)
        else:
            assert response.status_code == 403, (url, response.status_code)
    listing = client.get("/console/").status_code
    assert listing == (403 if who == Role.OG else 200)
    creating = client.get("/console/campagnes/nouvelle").status_code
    assert creating == (200 if who in ("owner", Role.ADMIN, Role.COLLECTIF) else 403)


def test_anonymous_visitors_are_sent_to_login(client: CsrfClient, desk: Desk) -> None:
    for url in read_routes(desk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/connexion" in response.headers["Location"]


def test_every_route_declares_its_roles() -> None:
    from flask import Flask

    app = Flask(__name__)
    app.register_blueprint(bp)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("campaigns."):
            view = app.view_functions[rule.endpoint]
            roles = getattr(view, "allowed_roles", None)
            assert roles, rule
            assert Role.OG not in roles, rule
            if rule.methods and "POST" in rule.methods:
                assert Role.ARS not in roles, rule


def test_a_post_without_csrf_token_is_refused(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    response = client.post(
        f"/console/campagnes/{desk.campaign.id}/etat",
        data={"action": "close_declarations"},
        csrf=False,
    )
    assert response.status_code == 400
    assert desk.campaign.status == "open"
