"""Accounts: sign-up, e-mail confirmation, login, attachment to an OG, and who may do what.

Rules:
- an OG representative signs up with an e-mail address and a FINESS of its OG (an ET of
  one of its ESSMS, or the EJ itself), then confirms the address through a signed link
  valid ``EMAIL_CONFIRM_MAX_AGE_S`` seconds;
- once confirmed it is attached to the OG at once when the address's domain is the OG's
  known ``email_domain``; otherwise a collectif of the OG's region or an administrator
  approves (or rejects) the request;
- only a confirmed address may log in.

Services take the session and the acting user, flush but never commit, and raise
``AuthError`` with a French message the views show as is. The object-level ``can_*``
checks live in ``matchmaker.auth.permissions`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Exists, exists, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.audit.services import record
from matchmaker.auth.permissions import (
    can_act_for_organisation,
    can_edit_establishment,
    can_view_organisation,
    organisation_regions,
)
from matchmaker.domain_errors import Forbidden, Invalid
from matchmaker.mail import MailSettings, send_mail
from matchmaker.models import (
    ApprovalStatus,
    Establishment,
    Organisation,
    Role,
    User,
)
from matchmaker.models.base import utcnow

__all__ = [
    "AuthError",
    "AuthSettings",
    "Forbidden",
    "can_act_for_organisation",
    "can_edit_establishment",
    "can_view_organisation",
    "organisation_regions",
]

CONFIRM_SALT = "grappes-confirmer-courriel"


@cache
def _dummy_hash() -> str:
    """Compared against when the e-mail is unknown, so that a login takes the same time."""
    return generate_password_hash("grappes-dummy-password")


class AuthError(Invalid):
    """A refused account operation; ``str(error)`` is the French message to show."""


@dataclass(frozen=True)
class AuthSettings:
    """What the account services need from the configuration."""

    secret_key: str
    confirm_max_age_s: int
    password_min_length: int
    mail: MailSettings
    reset_max_age_s: int = 2 * 3600

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AuthSettings:
        return cls(
            secret_key=str(config["SECRET_KEY"]),
            confirm_max_age_s=int(config["EMAIL_CONFIRM_MAX_AGE_S"]),
            password_min_length=int(config["PASSWORD_MIN_LENGTH"]),
            mail=MailSettings.from_config(config),
            reset_max_age_s=int(config["PASSWORD_RESET_MAX_AGE_S"]),
        )


def normalise_email(email: str) -> str:
    """Addresses are compared lower-cased and stripped."""
    return email.strip().lower()


def email_domain(email: str) -> str:
    return normalise_email(email).rpartition("@")[2]


def normalise_finess(finess: str) -> str:
    """A FINESS as typed: spaces and dots removed, upper-cased (2A/2B)."""
    return "".join(ch for ch in finess if ch.isalnum()).upper()


def resolve_organisation(session: Session, finess: str) -> Organisation:
    """The OG of a FINESS number: the EJ itself, or the EJ running the ET."""
    number = normalise_finess(finess)
    organisation = session.get(Organisation, number)
    if organisation is not None:
        return organisation
    establishment = session.get(Establishment, number)
    if establishment is not None:
        return establishment.organisation
    raise AuthError(
        f"Numéro FINESS inconnu : « {number} ». Indiquez le FINESS juridique (EJ) de votre "
        "organisme ou le FINESS géographique (ET) d'un de ses établissements."
    )


def check_password_rules(settings: AuthSettings, password: str) -> None:
    if len(password) < settings.password_min_length:
        raise AuthError(
            f"Le mot de passe doit compter au moins {settings.password_min_length} caractères."
        )


def sign_up(
    session: Session,
    settings: AuthSettings,
    *,
    email: str,
    password: str,
    finess: str,
    share_contact: bool,
    confirm_url: Callable[[str], str],
    login_url: str = "",
    reset_url: str = "",
    job_title: str | None = None,
) -> User | None:
    """Create an OG representative's account (pending) and mail the confirmation link.

    ``confirm_url`` turns a token into the absolute link (the view's ``url_for``). When the
    address already has an account nothing is created and the answer is the same (the page
    does not reveal who has an account): the mail tells its owner to log in or reset the
    password instead; ``None`` is returned.
    """
    email = normalise_email(email)
    check_password_rules(settings, password)
    organisation = resolve_organisation(session, finess)
    existing = session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None:
        send_mail(
            session,
            settings.mail,
            to=existing.email,
            subject="Grappes : vous avez déjà un compte",
            body=(
                "Bonjour,\n\n"
                "Quelqu'un (sans doute vous) a demandé à créer un compte Grappes avec cette "
                "adresse, qui en a déjà un. Connectez-vous :\n\n"
                f"{login_url}\n\n"
                "Mot de passe perdu ? Choisissez-en un nouveau :\n\n"
                f"{reset_url}\n\n"
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n"
            ),
            user_id=existing.id,
        )
        return None
    user = User(
        email=email,
        role=Role.OG,
        requested_finess_ej=organisation.finess_ej,
        approval_status=ApprovalStatus.PENDING,
        share_contact=share_contact,
        job_title=(job_title or "").strip() or None,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    token = confirmation_token(settings, user)
    send_mail(
        session,
        settings.mail,
        to=user.email,
        subject="Grappes : confirmez votre adresse électronique",
        body=(
            "Bonjour,\n\n"
            f"Vous avez demandé un compte Grappes pour l'organisme "
            f"{organisation.name or organisation.finess_ej} (FINESS {organisation.finess_ej}).\n"
            "Confirmez votre adresse en ouvrant ce lien :\n\n"
            f"{confirm_url(token)}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n"
        ),
        user_id=user.id,
    )
    record(
        session,
        user,
        "user.sign_up",
        object_type="user",
        object_id=user.id,
        finess_ej=organisation.finess_ej,
    )
    return user


def confirmation_token(settings: AuthSettings, user: User) -> str:
    """A signed, timed token naming the user and the address being confirmed."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=CONFIRM_SALT)
    return serializer.dumps({"id": user.id, "email": user.email})


def confirm_email(
    session: Session, settings: AuthSettings, token: str, now: datetime | None = None
) -> User:
    """Confirm the address of a token; attach at once when the domain matches the OG's.

    Confirming twice is harmless. An expired or tampered link is refused.
    """
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=CONFIRM_SALT)
    try:
        data = serializer.loads(token, max_age=settings.confirm_max_age_s)
    except SignatureExpired as exc:
        raise AuthError(
            "Ce lien de confirmation a expiré : inscrivez-vous de nouveau ou demandez un "
            "nouveau lien depuis la page de connexion."
        ) from exc
    except BadSignature as exc:
        raise AuthError("Ce lien de confirmation n'est pas valide.") from exc
    user = session.get(User, data.get("id"))
    if user is None or user.email != data.get("email"):
        raise AuthError("Ce lien de confirmation n'est pas valide.")
    if user.email_confirmed_at is not None:
        return user
    user.email_confirmed_at = now or utcnow()
    organisation = user.requested_organisation
    if (
        user.role == Role.OG
        and organisation is not None
        and user.approval_status == ApprovalStatus.PENDING
    ):
        known = {
            part.strip().lower().lstrip("@")
            for part in (organisation.email_domain or "").split(",")
            if part.strip()
        }
        if email_domain(user.email) in known:
            _attach(session, None, user, now)
        else:
            _notify_approvers(session, settings, user, organisation)
    record(session, user, "user.confirm_email", object_type="user", object_id=user.id)
    session.flush()
    return user


def resend_confirmation(
    session: Session, settings: AuthSettings, email: str, confirm_url: Callable[[str], str]
) -> None:
    """Mail a new confirmation link to an unconfirmed account (silently nothing otherwise,
    so the page does not reveal which addresses have an account)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.email_confirmed_at is not None:
        return
    send_mail(
        session,
        settings.mail,
        to=user.email,
        subject="Grappes : confirmez votre adresse électronique",
        body=(
            "Bonjour,\n\nVoici un nouveau lien pour confirmer votre adresse :\n\n"
            f"{confirm_url(confirmation_token(settings, user))}\n"
        ),
        user_id=user.id,
    )


def authenticate(session: Session, email: str, password: str, now: datetime | None = None) -> User:
    """The user with this address and password; only confirmed addresses may log in."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        raise AuthError("Adresse électronique ou mot de passe incorrect.")
    if not check_password_hash(user.password_hash, password):
        raise AuthError("Adresse électronique ou mot de passe incorrect.")
    if user.email_confirmed_at is None:
        raise AuthError(
            "Votre adresse n'est pas encore confirmée : ouvrez le lien reçu par courriel."
        )
    if not user.is_active:
        raise AuthError(
            "Ce compte a été désactivé par un administrateur : contactez votre collectif SI MS."
        )
    user.last_login_at = now or utcnow()
    session.flush()
    return user


def _in_region(region: str | None) -> Exists:
    """SQL: the requested OG of a user runs an establishment in ``region``."""
    return exists().where(
        Establishment.finess_ej == User.requested_finess_ej, Establishment.region == region
    )


def pending_requests(session: Session, approver: User) -> list[User]:
    """Confirmed OG sign-ups waiting for approval that ``approver`` may decide."""
    query = (
        select(User)
        .where(
            User.role == Role.OG,
            User.approval_status == ApprovalStatus.PENDING,
            User.email_confirmed_at.is_not(None),
        )
        .order_by(User.created_at)
    )
    if approver.role == Role.COLLECTIF:
        query = query.where(_in_region(approver.region))
    elif approver.role != Role.ADMIN:
        return []
    return list(session.scalars(query))


def can_approve(session: Session, approver: User, user: User) -> bool:
    """Administrators decide every request; a collectif those of OG of its region."""
    if user.role != Role.OG or user.requested_finess_ej is None:
        return False
    if approver.role == Role.ADMIN:
        return True
    return approver.role == Role.COLLECTIF and approver.region in organisation_regions(
        session, user.requested_finess_ej
    )


def _attach(session: Session, approver: User | None, user: User, now: datetime | None) -> None:
    user.finess_ej = user.requested_finess_ej
    user.approval_status = ApprovalStatus.APPROVED
    user.approved_by_user_id = approver.id if approver else None
    user.approved_at = now or utcnow()
    user.end_sessions()
    record(
        session,
        approver,
        "user.approve",
        object_type="user",
        object_id=user.id,
        finess_ej=user.finess_ej,
        automatic=approver is None,
    )


def decide(
    session: Session,
    settings: AuthSettings,
    approver: User,
    user_id: int,
    *,
    approve: bool,
    now: datetime | None = None,
) -> User:
    """Approve (attach to the requested OG) or reject a pending request, and tell the user."""
    user = session.get(User, user_id)
    if user is None or not can_approve(session, approver, user):
        raise AuthError("Vous ne pouvez pas traiter cette demande.")
    if user.approval_status != ApprovalStatus.PENDING:
        raise AuthError("Cette demande a déjà été traitée.")
    organisation = user.requested_organisation
    name = organisation.name if organisation and organisation.name else user.requested_finess_ej
    if approve:
        _attach(session, approver, user, now)
        subject = "Grappes : votre compte est rattaché à votre organisme"
        body = f"Bonjour,\n\nVotre compte est désormais rattaché à {name}.\n"
    else:
        user.approval_status = ApprovalStatus.REJECTED
        user.approved_by_user_id = approver.id
        user.approved_at = now or utcnow()
        user.end_sessions()
        record(session, approver, "user.reject", object_type="user", object_id=user.id)
        subject = "Grappes : votre demande de rattachement n'a pas été acceptée"
        body = (
            f"Bonjour,\n\nVotre demande de rattachement à {name} n'a pas été acceptée. "
            "Contactez votre collectif SI MS pour en savoir plus.\n"
        )
    send_mail(session, settings.mail, to=user.email, subject=subject, body=body, user_id=user.id)
    session.flush()
    return user


def _notify_approvers(
    session: Session, settings: AuthSettings, user: User, organisation: Organisation
) -> None:
    """Tell the collectifs of the OG's regions (or the administrators) that a request waits."""
    regions = organisation_regions(session, organisation.finess_ej)
    approvers = list(
        session.scalars(select(User).where(User.role == Role.COLLECTIF, User.region.in_(regions)))
    ) or list(session.scalars(select(User).where(User.role == Role.ADMIN)))
    for approver in approvers:
        send_mail(
            session,
            settings.mail,
            to=approver.email,
            subject="Grappes : une demande de rattachement attend votre décision",
            body=(
                f"Bonjour,\n\n{user.email} demande à représenter "
                f"{organisation.name or organisation.finess_ej} (FINESS {organisation.finess_ej}). "
                "Décidez depuis la page « Demandes de rattachement » de Grappes.\n"
            ),
            user_id=approver.id,
        )


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    finess_ej: str | None = None,
    region: str | None = None,
    password_min_length: int = 1,
    now: datetime | None = None,
) -> User:
    """An account created by an operator: confirmed and approved at once."""
    email = normalise_email(email)
    if "@" not in email:
        raise AuthError(f"Adresse électronique invalide : « {email} ».")
    if len(password) < password_min_length:
        raise AuthError(f"Le mot de passe doit compter au moins {password_min_length} caractères.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AuthError(f"Un compte existe déjà avec l'adresse {email}.")
    if role in (Role.COLLECTIF, Role.ARS) and not region:
        raise AuthError("Un compte collectif ou ARS doit avoir une région (--region).")
    organisation = None
    if finess_ej:
        organisation = resolve_organisation(session, finess_ej)
    if role == Role.OG and organisation is None:
        raise AuthError(
            "Un compte d'organisme gestionnaire doit avoir un organisme (--organisation)."
        )
    moment = now or utcnow()
    user = User(
        email=email,
        role=role,
        region=region,
        finess_ej=organisation.finess_ej if organisation else None,
        requested_finess_ej=organisation.finess_ej if organisation else None,
        email_confirmed_at=moment,
        approval_status=ApprovalStatus.APPROVED,
        approved_at=moment,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    record(session, None, "user.create", object_type="user", object_id=user.id, role=str(role))
    return user
