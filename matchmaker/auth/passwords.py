"""Forgotten passwords: a signed link, valid ``PASSWORD_RESET_MAX_AGE_S`` seconds and
only once (it carries a fingerprint of the current password hash), sets a new password.
The request page never tells whether an address has an account."""

from __future__ import annotations

from collections.abc import Callable

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.audit.services import record
from matchmaker.auth.services import AuthError, AuthSettings, check_password_rules, normalise_email
from matchmaker.mail import send_mail
from matchmaker.models import User

RESET_SALT = "grappes-reinitialiser-mot-de-passe"


def _reset_fingerprint(user: User) -> str:
    """Changes with the password, so a reset link works once."""
    return user.password_hash[-16:]


def request_password_reset(
    session: Session, settings: AuthSettings, email: str, reset_url: Callable[[str], str]
) -> None:
    """Mail a password reset link to a confirmed account; silently nothing otherwise (the
    page never reveals which addresses have an account)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.email_confirmed_at is None:
        return
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=RESET_SALT)
    token = serializer.dumps({"id": user.id, "fp": _reset_fingerprint(user)})
    minutes = settings.reset_max_age_s // 60
    send_mail(
        session,
        settings.mail,
        to=user.email,
        subject="Grappes : choisir un nouveau mot de passe",
        body=(
            "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien "
            f"(valable {minutes} minutes) :\n\n{reset_url(token)}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n"
        ),
        user_id=user.id,
    )
    record(session, user, "user.password_reset_requested", object_type="user", object_id=user.id)


def reset_password(session: Session, settings: AuthSettings, token: str, password: str) -> User:
    """Set a new password from a reset link (valid once, for ``reset_max_age_s``)."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=RESET_SALT)
    try:
        data = serializer.loads(token, max_age=settings.reset_max_age_s)
    except SignatureExpired as exc:
        raise AuthError("Ce lien a expiré : demandez-en un nouveau.") from exc
    except BadSignature as exc:
        raise AuthError("Ce lien n'est pas valide.") from exc
    user = session.get(User, data.get("id"))
    if user is None or data.get("fp") != _reset_fingerprint(user):
        raise AuthError("Ce lien a déjà servi ou n'est plus valide : demandez-en un nouveau.")
    check_password_rules(settings, password)
    user.set_password(password)
    session.flush()
    record(session, user, "user.password_reset", object_type="user", object_id=user.id)
    return user
