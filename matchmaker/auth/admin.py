"""Administration of accounts and of the identity of OG representatives.

Rules:
- only administrators list accounts and change a role, a region, the regions granted on
  top of it, or deactivate an account; every change is recorded in the audit log and ends
  the account's sessions (``User.end_sessions``);
- an OG's known e-mail domains (``Organisation.email_domain``, comma-separated) attach a
  sign-up from such an address at once; administrators set them (page and CLI);
- the approver of a request sees who asks: the OG's name, FINESS EJ and establishments,
  the requester's stated function, the address's domain and whether approved
  representatives of the same OG already use it.

Services take the session and the acting administrator, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.geography import REGIONS
from matchmaker.audit.services import record
from matchmaker.auth.services import AuthError, Forbidden, email_domain
from matchmaker.models import ApprovalStatus, Establishment, Organisation, Role, User
from matchmaker.models.base import utcnow


def _check_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Réservé aux administrateurs.")


def list_accounts(
    session: Session,
    actor: User,
    *,
    role: str | None = None,
    region: str | None = None,
    text: str | None = None,
    state: str | None = None,
    limit: int = 500,
) -> list[User]:
    """Accounts matching the filters (role, region, part of the address, active or not)."""
    _check_admin(actor)
    query = select(User).order_by(User.email).limit(limit)
    if role:
        query = query.where(User.role == Role(role))
    if region:
        query = query.where(User.region == region)
    if text:
        query = query.where(func.lower(User.email).contains(text.strip().lower()))
    if state == "active":
        query = query.where(User.deactivated_at.is_(None))
    elif state == "inactive":
        query = query.where(User.deactivated_at.is_not(None))
    elif state == "pending":
        query = query.where(User.approval_status == ApprovalStatus.PENDING)
    return list(session.scalars(query))


def _regions(codes: Iterable[str]) -> list[str]:
    found = sorted({code.strip() for code in codes if code.strip()})
    unknown = [code for code in found if code not in REGIONS]
    if unknown:
        raise AuthError(f"Région inconnue : « {', '.join(unknown)} » (code INSEE attendu).")
    return found


def update_account(
    session: Session,
    actor: User,
    user: User,
    *,
    role: Role,
    region: str | None,
    granted_regions: Iterable[str] = (),
) -> bool:
    """Change an account's role, region and granted regions; returns whether anything
    changed (then the audit log records it and the account's sessions end)."""
    _check_admin(actor)
    region = (region or "").strip() or None
    if region is not None:
        _regions([region])
    granted = [code for code in _regions(granted_regions) if code != region]
    if role in (Role.COLLECTIF, Role.ARS) and region is None:
        raise AuthError("Un compte collectif ou ARS doit avoir une région.")
    if user.id == actor.id and role != Role.ADMIN:
        raise AuthError("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")
    before = {"role": str(user.role), "region": user.region, "granted": user.granted_regions}
    after = {"role": str(role), "region": region, "granted": granted}
    if before == after:
        return False
    user.role = role
    user.region = region
    user.granted_regions = granted
    user.end_sessions()
    session.flush()
    record(
        session,
        actor,
        "user.update",
        object_type="user",
        object_id=user.id,
        email=user.email,
        before=before,
        after=after,
    )
    return True


def set_active(session: Session, actor: User, user: User, *, active: bool) -> None:
    """Deactivate (no login, sessions ended) or reactivate an account."""
    _check_admin(actor)
    if user.id == actor.id:
        raise AuthError("Vous ne pouvez pas désactiver votre propre compte.")
    if active == user.is_active:
        return
    user.deactivated_at = None if active else utcnow()
    user.end_sessions()
    session.flush()
    record(
        session,
        actor,
        "user.reactivate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
        email=user.email,
    )


# --- known domains and the identity of requesters ---------------------------------------------


def known_domains(organisation: Organisation) -> list[str]:
    """The OG's known e-mail domains (lower-case, without ``@``)."""
    raw = organisation.email_domain or ""
    return [part.strip().lower().lstrip("@") for part in raw.split(",") if part.strip()]


def set_known_domains(
    session: Session, actor: User | None, organisation: Organisation, domains: Iterable[str]
) -> list[str]:
    """Replace the OG's known domains (``actor`` ``None``: the command line)."""
    if actor is not None:
        _check_admin(actor)
    cleaned = sorted({d.strip().lower().lstrip("@") for d in domains if d.strip()})
    for domain in cleaned:
        if "." not in domain or " " in domain or "@" in domain:
            raise AuthError(f"Nom de domaine invalide : « {domain} » (par exemple asso-alpha.fr).")
    value = ", ".join(cleaned) or None
    if value is not None and len(value) > 120:
        raise AuthError("Trop de domaines : 120 caractères au plus.")
    before = organisation.email_domain
    organisation.email_domain = value
    session.flush()
    record(
        session,
        actor,
        "organisation.known_domains",
        object_type="organisation",
        object_id=organisation.finess_ej,
        before=before,
        after=value,
    )
    return cleaned


@dataclass(frozen=True)
class Requester:
    """What an approver needs to decide on a request."""

    user: User
    organisation: Organisation | None
    establishments: list[Establishment]
    domain: str
    #: The domain is a known domain of the OG.
    known: bool
    #: Approved representatives of the same OG already use this domain.
    used_by_representatives: int


def describe_request(session: Session, user: User) -> Requester:
    organisation = user.requested_organisation
    domain = email_domain(user.email)
    establishments: list[Establishment] = []
    used = 0
    if organisation is not None:
        establishments = list(
            session.scalars(
                select(Establishment)
                .where(Establishment.finess_ej == organisation.finess_ej)
                .order_by(Establishment.finess_et)
                .limit(50)
            )
        )
        colleagues = session.scalars(
            select(User.email).where(
                User.finess_ej == organisation.finess_ej,
                User.approval_status == ApprovalStatus.APPROVED,
                User.id != user.id,
            )
        )
        used = sum(1 for email in colleagues if email_domain(email) == domain)
    known = organisation is not None and domain in known_domains(organisation)
    return Requester(user, organisation, establishments, domain, known, used)
