"""Issue 11 (also): administrators manage accounts in the site (list, filter, change role
and region, deactivate: sessions end, the audit log records each change), set an OG's known
domains (page and CLI), and the approver sees who asks."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import AuditEvent, Role, User
from tests.factories import MakeUser
from tests.helpers import PASSWORD, Auth, CsrfClient, confirmation_path
from tests.support.bretagne import World


def other_browser(app: Flask, user: User) -> CsrfClient:
    browser = CsrfClient(app, app.response_class, use_cookies=True)
    response = browser.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def actions(session: Session, user: User) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


def test_an_administrator_changes_a_role_and_deactivates_an_account(
    app: Flask, client: CsrfClient, db_session: Session, auth: Auth, make_user: MakeUser
) -> None:
    collectif = make_user(Role.COLLECTIF, email="membre@collectif.fr", region="53")
    make_user(Role.ARS, email="agent@ars.fr", region="28")
    session_of_collectif = other_browser(app, collectif)
    auth.login(Role.ADMIN)

    page = client.get("/admin/comptes?role=collectif&region=53").get_data(as_text=True)
    assert "membre@collectif.fr" in page and "agent@ars.fr" not in page

    response = client.post(
        f"/admin/comptes/{collectif.id}",
        data={"role": "collectif", "region": "53", "granted_regions": "52", "save": "1"},
    )
    assert response.status_code == 303
    db_session.refresh(collectif)
    assert collectif.granted_regions == ["52"] and collectif.regions == {"52", "53"}
    assert session_of_collectif.get("/compte").status_code == 302  # its session ended

    session_of_collectif = other_browser(app, collectif)
    client.post(f"/admin/comptes/{collectif.id}", data={"deactivate": "1", "role": "collectif"})
    db_session.refresh(collectif)
    assert not collectif.is_active
    assert session_of_collectif.get("/compte").status_code == 302
    assert actions(db_session, collectif) == ["user.update", "user.deactivate"]

    refused = client.post(
        f"/admin/comptes/{collectif.id}",
        data={"role": "ars", "region": "", "save": "1"},
        follow_redirects=True,
    )
    assert "doit avoir une région" in refused.get_data(as_text=True)


def test_only_administrators_administer(
    client: CsrfClient, auth: Auth, make_user: MakeUser
) -> None:
    target = make_user(Role.OG)
    auth.login(Role.COLLECTIF)
    assert client.get("/admin/comptes").status_code == 403
    response = client.post(f"/admin/comptes/{target.id}", data={"deactivate": "1", "role": "og"})
    assert response.status_code == 403


def test_known_domains_attach_at_once_and_approvers_see_who_asks(
    client: CsrfClient,
    db_session: Session,
    auth: Auth,
    make_user: MakeUser,
    world: World,
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=["users", "domains", world.og_b.finess_ej, "beta.org", "@Beta.fr"])
    assert result.exit_code == 0, result.output
    assert world.og_b.email_domain == "beta.fr, beta.org"

    make_user(Role.OG, email="dg@beta.org", organisation=world.og_b.finess_ej)
    for email in ("it@beta.org", "inconnu@gmail.com"):
        client.post(
            "/inscription",
            data={
                "email": email,
                "finess": world.og_b.finess_ej,
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "job_title": "Responsable SI",
            },
        )
        client.get(confirmation_path(db_session, email))
    attached = db_session.scalar(select(User).where(User.email == "it@beta.org"))
    assert attached is not None and attached.is_attached  # known domain: at once

    auth.login(Role.COLLECTIF, region="53")
    page = client.get("/demandes").get_data(as_text=True)
    assert "inconnu@gmail.com" in page and "Responsable SI" in page
    assert "ASSOCIATION BETA" in page and world.og_b.finess_ej in page
    assert world.essms_b[0].finess_et in page
    assert "gmail.com" in page and "jamais vu pour cet organisme" in page

    auth.login(Role.ADMIN)
    response = client.post(
        "/admin/domaines", data={"finess_ej": world.og_b.finess_ej, "domains": "beta.fr"}
    )
    assert response.status_code == 303
    assert world.og_b.email_domain == "beta.fr"
