"""Accounts: sign-up, confirmation, attachment by domain or approval, login, CSRF, rate
limit, the ``grappes users create`` command."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth import services
from matchmaker.models import ApprovalStatus, AuditEvent, Role, User
from tests.factories import MakeUser
from tests.helpers import PASSWORD, Auth, CsrfClient, confirmation_path, outbox
from tests.support.bretagne import World


def sign_up(client: CsrfClient, email: str, finess: str, **extra: str) -> str:
    data = {
        "email": email,
        "finess": finess,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "job_title": "Directrice",
        **extra,
    }
    response = client.post("/inscription", data=data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_sign_up_with_matching_domain_attaches_on_confirmation(
    client: CsrfClient, db_session: Session, world: World
) -> None:
    page = sign_up(client, "Directrice@Alpha.fr", world.essms_a[0].finess_et)
    assert "Confirmez votre adresse" in page
    user = user_by_email(db_session, "directrice@alpha.fr")
    assert user.requested_finess_ej == world.og_a.finess_ej  # ET resolved to its EJ
    assert user.email_confirmed_at is None and user.finess_ej is None
    assert user.check_password(PASSWORD) and PASSWORD not in user.password_hash

    # Cannot log in before confirming.
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert "pas encore confirmée" in response.get_data(as_text=True)

    response = client.get(confirmation_path(db_session, user.email))
    assert response.status_code == 200
    assert "rattaché" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.is_confirmed and user.is_attached
    assert user.finess_ej == world.og_a.finess_ej

    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/mon-organisme"


def test_sign_up_without_domain_waits_for_collectif_approval(
    client: CsrfClient, db_session: Session, world: World, make_user: MakeUser, auth: Auth
) -> None:
    collectif = make_user(Role.COLLECTIF, region="53")
    other_region = make_user(Role.COLLECTIF, region="28")
    sign_up(client, "dir@gmail.com", world.og_b.finess_ej)
    user = user_by_email(db_session, "dir@gmail.com")
    client.get(confirmation_path(db_session, user.email))
    db_session.refresh(user)
    assert user.is_confirmed and not user.is_attached
    assert user.approval_status == ApprovalStatus.PENDING
    # The collectif of the region is told; the other region's is not.
    assert any("demande de rattachement" in m.subject for m in outbox(db_session, collectif.email))
    assert outbox(db_session, other_region.email) == []

    # The other region's collectif neither sees nor decides it.
    auth.login(other_region)
    assert user.email not in client.get("/demandes").get_data(as_text=True)
    client.post(f"/demandes/{user.id}", data={"approve": "Approuver"})
    db_session.refresh(user)
    assert user.approval_status == ApprovalStatus.PENDING
    auth.logout()

    auth.login(collectif)
    assert user.email in client.get("/demandes").get_data(as_text=True)
    response = client.post(f"/demandes/{user.id}", data={"approve": "Approuver"})
    assert response.status_code == 303
    db_session.refresh(user)
    assert user.is_attached and user.finess_ej == world.og_b.finess_ej
    assert user.approved_by_user_id == collectif.id
    assert "rattaché" in outbox(db_session, user.email)[-1].subject
    assert db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.approve", AuditEvent.object_id == str(user.id)
        )
    )


def test_admin_rejects_a_request(
    client: CsrfClient, db_session: Session, world: World, auth: Auth
) -> None:
    sign_up(client, "x@gmail.com", world.og_b.finess_ej)
    user = user_by_email(db_session, "x@gmail.com")
    client.get(confirmation_path(db_session, user.email))
    auth.login(Role.ADMIN)
    client.post(f"/demandes/{user.id}", data={"reject": "Refuser"})
    db_session.refresh(user)
    assert user.approval_status == ApprovalStatus.REJECTED and user.finess_ej is None


@pytest.mark.parametrize(
    ("finess", "email", "message"),
    [
        ("999999999", "a@alpha.fr", "Numéro FINESS inconnu"),
        ("350000001", "pas-une-adresse", "Adresse électronique invalide"),
    ],
)
def test_sign_up_refusals(
    client: CsrfClient, world: World, finess: str, email: str, message: str
) -> None:
    assert message in sign_up(client, email, finess)


def test_sign_up_twice_and_short_password(client: CsrfClient, world: World) -> None:
    first = sign_up(client, "a@alpha.fr", "350000001")
    # The same answer for an address that has an account (issue 11): the mail says what to do.
    assert sign_up(client, "A@alpha.fr", "350000001") == first.replace("a@alpha.fr", "A@alpha.fr")
    short = {"password": "court", "password_confirm": "court"}
    assert "au moins" in sign_up(client, "b@alpha.fr", "350000001", **short)


def test_confirmation_link_tampered_or_expired(
    app: Flask, client: CsrfClient, db_session: Session, world: World
) -> None:
    sign_up(client, "a@alpha.fr", "350000001")
    path = confirmation_path(db_session, "a@alpha.fr")
    assert client.get(path + "x").status_code == 400
    settings = services.AuthSettings.from_config(app.config)
    expired = services.AuthSettings(
        settings.secret_key, -1, settings.password_min_length, settings.mail
    )
    token = path.rsplit("/", 1)[1]
    with pytest.raises(services.AuthError, match="expiré"):
        services.confirm_email(db_session, expired, token)


def test_resend_confirmation(client: CsrfClient, db_session: Session, world: World) -> None:
    sign_up(client, "a@alpha.fr", "350000001")
    token = client.csrf_token()
    client.post(
        "/confirmer/renvoyer", data={"renvoi-email": "a@alpha.fr", "renvoi-csrf_token": token}
    )
    assert len(outbox(db_session, "a@alpha.fr")) == 2
    assert client.get(confirmation_path(db_session, "a@alpha.fr")).status_code == 200


def test_wrong_password_and_unknown_address_get_the_same_message(
    client: CsrfClient, make_user: MakeUser
) -> None:
    user = make_user(Role.OG)
    wrong = client.post("/connexion", data={"email": user.email, "password": "faux-faux-faux"})
    unknown = client.post("/connexion", data={"email": "nobody@x.fr", "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "mot de passe incorrect" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client: CsrfClient, make_user: MakeUser) -> None:
    user = make_user(Role.OG)
    response = client.post(
        "/connexion", data={"email": user.email, "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)


def test_login_is_rate_limited(app: Flask, client: CsrfClient, make_user: MakeUser) -> None:
    user = make_user(Role.OG)
    token = client.csrf_token()
    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    statuses = [
        client.post(
            "/connexion", data={"email": user.email, "password": "faux", "csrf_token": token}
        ).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [200] * limit
    assert statuses[limit] == 429
    assert "Trop de tentatives" in client.post(
        "/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    ).get_data(as_text=True)


def test_login_redirects_only_to_local_next(client: CsrfClient, make_user: MakeUser) -> None:
    user = make_user(Role.OG)
    response = client.post(
        "/connexion?next=https://evil.example/x",
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/mon-organisme"
    client.post("/deconnexion")
    response = client.post(
        "/connexion?next=/compte", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/compte"


def test_logout(client: CsrfClient, auth: Auth) -> None:
    auth.login(Role.OG, form=True)
    assert client.get("/compte").status_code == 200
    client.post("/deconnexion")
    assert client.get("/compte").status_code == 302


def test_share_contact_preference(client: CsrfClient, auth: Auth, db_session: Session) -> None:
    user = auth.login(Role.OG)
    assert not user.share_contact
    client.post("/compte", data={"share_contact": "y"})
    db_session.refresh(user)
    assert user.share_contact


def test_admin_reads_the_outbox(client: CsrfClient, auth: Auth, world: World) -> None:
    sign_up(client, "a@alpha.fr", "350000001")
    auth.login(Role.ADMIN)
    page = client.get("/admin/courriels").get_data(as_text=True)
    assert "confirmez votre adresse" in page and "a@alpha.fr" in page


def test_users_create_command(runner: FlaskCliRunner, db_session: Session, world: World) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Chef@ARS.fr",
            "--role",
            "ars",
            "--region",
            "53",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé" in result.output
    user = user_by_email(db_session, "chef@ars.fr")
    assert user.role == Role.ARS and user.region == "53" and user.is_confirmed
    assert user.check_password(PASSWORD)

    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "og@alpha.fr",
            "--role",
            "og",
            "--organisation",
            world.essms_a[0].finess_et,
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert user_by_email(db_session, "og@alpha.fr").finess_ej == world.og_a.finess_ej

    result = runner.invoke(
        args=["users", "create", "--email", "c@x.fr", "--role", "collectif", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code != 0 and "région" in result.output


def test_confirm_twice_is_harmless(client: CsrfClient, db_session: Session, world: World) -> None:
    sign_up(client, "a@alpha.fr", "350000001")
    path = confirmation_path(db_session, "a@alpha.fr")
    client.get(path)
    user = user_by_email(db_session, "a@alpha.fr")
    db_session.refresh(user)
    first = user.email_confirmed_at
    assert first is not None
    assert client.get(path).status_code == 200
    db_session.refresh(user)
    assert user.email_confirmed_at == first


RESET_LINK = re.compile(r"https?://[^/\s]+(/mot-de-passe/[^\s]+)")


def test_password_reset(client: CsrfClient, db_session: Session, make_user: MakeUser) -> None:
    user = make_user(Role.OG)
    client.post("/mot-de-passe-oublie", data={"email": "inconnu@x.fr"})
    response = client.post("/mot-de-passe-oublie", data={"email": user.email.upper()})
    assert response.status_code == 302
    assert outbox(db_session, "inconnu@x.fr") == []
    found = RESET_LINK.search(outbox(db_session, user.email)[-1].body)
    assert found
    new = "un-tout-nouveau-secret"
    response = client.post(found.group(1), data={"password": new, "password_confirm": new})
    assert response.status_code == 302
    login = client.post("/connexion", data={"email": user.email, "password": new})
    assert login.status_code == 302
    client.post("/deconnexion")
    # The link works once.
    again = client.post(
        found.group(1), data={"password": "encore-autre-1", "password_confirm": "encore-autre-1"}
    )
    assert "déjà servi" in again.get_data(as_text=True)
