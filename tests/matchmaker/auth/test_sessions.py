"""Issue 11, hole 4: logout, password reset, role or approval change and deactivation end
the sessions issued before them (a per-user session version checked by the user loader)."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import Role, User
from matchmaker.models.base import utcnow
from tests.factories import MakeUser
from tests.helpers import PASSWORD, Auth, CsrfClient, outbox

RESET_LINK = re.compile(r"https?://[^/\s]+(/mot-de-passe/[^\s]+)")


def session_cookie(client: CsrfClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> CsrfClient:
    """Another browser holding a copy of ``cookie``."""
    other = CsrfClient(app, app.response_class, use_cookies=True)
    other.set_cookie("session", cookie)
    return other


def opens_account(client: CsrfClient) -> bool:
    response = client.get("/compte")
    return response.status_code == 200


def test_a_cookie_copied_before_logout_no_longer_opens_the_account(
    app: Flask, client: CsrfClient, auth: Auth
) -> None:
    auth.login(Role.OG, form=True)
    copied = session_cookie(client)
    assert opens_account(replay(app, copied))
    client.post("/deconnexion")
    assert not opens_account(client)
    response = replay(app, copied).get("/compte")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_a_cookie_issued_before_a_password_reset_no_longer_works(
    app: Flask, client: CsrfClient, db_session: Session, make_user: MakeUser
) -> None:
    user = make_user(Role.OG)
    assert (
        client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code
        == 302
    )
    copied = session_cookie(client)
    other = CsrfClient(app, app.response_class, use_cookies=True)
    other.post("/mot-de-passe-oublie", data={"email": user.email})
    link = RESET_LINK.search(outbox(db_session, user.email)[-1].body)
    assert link
    new = "un-tout-nouveau-secret"
    assert (
        other.post(link.group(1), data={"password": new, "password_confirm": new}).status_code
        == 302
    )
    assert not opens_account(replay(app, copied))


def test_role_change_and_deactivation_end_sessions(
    app: Flask, client: CsrfClient, db_session: Session, auth: Auth
) -> None:
    user: User = auth.login(Role.COLLECTIF, form=True)
    copied = session_cookie(client)
    user.role = Role.ARS
    user.end_sessions()
    db_session.commit()
    assert not opens_account(replay(app, copied))

    assert (
        client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code
        == 302
    )
    copied = session_cookie(client)
    user.deactivated_at = utcnow()
    db_session.commit()
    assert not opens_account(replay(app, copied))
    refused = CsrfClient(app, app.response_class, use_cookies=True)
    response = refused.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "désactivé" in response.get_data(as_text=True)
