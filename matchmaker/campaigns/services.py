"""Campaigns: who may see and run them, creation, edition, life cycle, the audit log.

Services take the session and the acting user, check access, flush and never commit.
Access: an administrator may do anything; the collectif users who own a campaign run it;
the other collectif users and the ARS users of its region read it (the ARS only reads).

Regions: a collectif works on the regions its account says (its region, plus those an
administrator granted); a campaign's departments must all lie there, for its creator and
co-owners alike, and reading or running it needs those regions. Rule « at most one open
campaign per department »: a campaign is opened (or an open one edited) only when none of
its departments is already covered by another open campaign (:func:`check_can_open`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS, REGIONS, departments_of_region, region_of
from matchmaker.audit.services import record
from matchmaker.domain_errors import Forbidden, Invalid
from matchmaker.grappes.errors import RunError
from matchmaker.grappes.scope import resolve_scope
from matchmaker.models import AuditEvent, Campaign, CampaignOwner, Role, User
from matchmaker.rules import ProgrammeRules
from matchmaker.vocabulary import CampaignStatus

#: French labels of the campaign statuses.
STATUS_LABELS = CampaignStatus.labels()

#: Allowed status changes: action → (from statuses, to status, audit action, message).
TRANSITIONS: dict[str, tuple[tuple[CampaignStatus, ...], CampaignStatus, str]] = {
    "open": (
        (CampaignStatus.DRAFT, CampaignStatus.CLOSED),
        CampaignStatus.OPEN,
        "Déclarations ouvertes.",
    ),
    "close_declarations": ((CampaignStatus.OPEN,), CampaignStatus.CLOSED, "Déclarations closes."),
    "archive": (
        (CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.CLOSED),
        CampaignStatus.ARCHIVED,
        "Campagne clôturée.",
    ),
    "reopen": ((CampaignStatus.ARCHIVED,), CampaignStatus.CLOSED, "Campagne rouverte."),
}

#: Solver parameters a campaign may set: the programme rules' (``ProgrammeRules``) and a
#: solver setting of the configuration.
SOLVER_PARAM_RULES = ("min_size", "min_size_overseas", "max_size")
SOLVER_PARAM_SETTINGS = {"time_limit_s": "SOLVER_TIME_LIMIT_S"}


class CampaignError(Invalid, ValueError):
    """A campaign action is refused; the message (French) says why."""


@dataclass(frozen=True)
class CampaignData:
    """What the campaign form edits."""

    name: str
    region: str | None
    departments: Sequence[str]
    opens_on: date | None
    closes_on: date | None
    description: str | None
    solver_params: dict[str, Any]
    co_owner_emails: Sequence[str] = ()


# --- access --------------------------------------------------------------------------------


def campaign_regions(campaign: Campaign) -> set[str]:
    """The regions a campaign touches (its region, and those of its departments)."""
    regions = {campaign.region} if campaign.region else set()
    for department in campaign.departments or ():
        if department in DEPARTMENTS:
            regions.add(region_of(department))
    return regions


def campaign_departments(campaign: Campaign) -> set[str]:
    """The departments a campaign covers: those listed, or every department of its region."""
    if campaign.departments:
        return set(campaign.departments)
    if campaign.region:
        return set(departments_of_region(campaign.region))
    return set()


def within_regions(user: User, campaign: Campaign) -> bool:
    """Every region the campaign touches is one of the user's (administrators: always)."""
    if user.role == Role.ADMIN:
        return True
    return bool(campaign_regions(campaign)) and campaign_regions(campaign) <= user.regions


def _check_regions(user: User, campaign: Campaign) -> None:
    """Refuse a campaign reaching beyond the regions of ``user``'s account."""
    if within_regions(user, campaign):
        return
    outside = sorted(
        department
        for department in campaign_departments(campaign)
        if department in DEPARTMENTS and region_of(department) not in user.regions
    )
    regions = ", ".join(REGIONS[code].name for code in sorted(user.regions) if code in REGIONS)
    where = f"département(s) {', '.join(outside)}" if outside else "région choisie"
    raise CampaignError(
        f"La campagne couvre le {where}, hors de la région de votre compte "
        f"({regions or 'aucune'}) : seul un administrateur peut vous en accorder d'autres."
    )


def open_campaign_for_department(
    session: Session, department: str, *, excluding: int | None = None
) -> Campaign | None:
    """The open campaign covering ``department`` (there is at most one, see
    :func:`check_can_open`), or ``None``."""
    for campaign in session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.OPEN).order_by(Campaign.id)
    ):
        if campaign.id != excluding and department in campaign_departments(campaign):
            return campaign
    return None


def overlapping_open_campaigns(session: Session, campaign: Campaign) -> dict[str, Campaign]:
    """The departments of ``campaign`` already covered by another open campaign, with it."""
    clashes: dict[str, Campaign] = {}
    for department in sorted(campaign_departments(campaign)):
        other = open_campaign_for_department(session, department, excluding=campaign.id)
        if other is not None:
            clashes[department] = other
    return clashes


def can_open(session: Session, campaign: Campaign) -> bool:
    """« At most one open campaign per department »: no other open campaign covers any of
    the campaign's departments."""
    return not overlapping_open_campaigns(session, campaign)


def check_can_open(session: Session, campaign: Campaign) -> None:
    """Raise :class:`CampaignError` naming the open campaigns that already cover some of
    the campaign's departments."""
    clashes = overlapping_open_campaigns(session, campaign)
    if not clashes:
        return
    by_campaign: dict[str, list[str]] = {}
    for department, other in clashes.items():
        by_campaign.setdefault(other.name, []).append(department)
    details = " ; ".join(
        f"« {name} » couvre déjà le(s) département(s) {', '.join(departments)}"
        for name, departments in by_campaign.items()
    )
    raise CampaignError(
        f"Une seule campagne ouverte par département : {details}. Clôturez ses déclarations "
        "ou retirez ces départements avant d'ouvrir celle-ci."
    )


def is_owner(session: Session, user: User, campaign: Campaign) -> bool:
    return (
        session.scalar(
            select(CampaignOwner.id).where(
                CampaignOwner.campaign_id == campaign.id, CampaignOwner.user_id == user.id
            )
        )
        is not None
    )


def can_read(session: Session, user: User, campaign: Campaign) -> bool:
    """Administrators, and the collectif and ARS users of a region the campaign touches."""
    if user.role == Role.ADMIN:
        return True
    if user.role not in (Role.COLLECTIF, Role.ARS):
        return False
    return bool(user.regions & campaign_regions(campaign))


def can_manage(session: Session, user: User, campaign: Campaign) -> bool:
    """Administrators, and the collectif users who own the campaign and whose regions hold
    all of it."""
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.COLLECTIF
        and within_regions(user, campaign)
        and is_owner(session, user, campaign)
    )


def check_read(session: Session, user: User, campaign: Campaign) -> None:
    if not can_read(session, user, campaign):
        raise Forbidden("Vous n'avez pas accès à cette campagne.")


def check_manage(session: Session, user: User, campaign: Campaign) -> None:
    if not can_manage(session, user, campaign):
        raise Forbidden(
            "Seuls les membres du collectif qui mènent cette campagne peuvent la modifier "
            "(l'ARS la consulte)."
        )


def visible_campaigns(session: Session, user: User) -> list[Campaign]:
    """The campaigns the user may read, newest first."""
    campaigns = session.scalars(select(Campaign).order_by(Campaign.created_at.desc()))
    return [campaign for campaign in campaigns if can_read(session, user, campaign)]


# --- creation and edition -------------------------------------------------------------------


def create_campaign(session: Session, user: User, data: CampaignData) -> Campaign:
    """A draft campaign owned by its creator (and the co-owners named)."""
    if user.role not in (Role.COLLECTIF, Role.ADMIN):
        raise Forbidden("Seuls les collectifs SI MS créent des campagnes.")
    campaign = Campaign(status=CampaignStatus.DRAFT, created_by_user_id=user.id)
    _apply(session, campaign, data)
    _check_regions(user, campaign)
    session.add(campaign)
    session.flush()
    _add_owner(session, campaign, user)
    _add_co_owners(session, campaign, data.co_owner_emails)
    record(
        session,
        user,
        "campaign.created",
        object_type="campaign",
        object_id=campaign.id,
        campaign_id=campaign.id,
        name=campaign.name,
    )
    return campaign


def create_operator_campaign(session: Session, name: str, **fields: object) -> Campaign:
    """A campaign an operator creates from the command line (``grappes
    import-declarations``, the demo): open unless told, flushed so it has an id, without
    owner until ``grappes campaigns owner add`` gives it one. The console's campaigns come
    from :func:`create_campaign`."""
    campaign = Campaign(
        name=name, status=CampaignStatus(str(fields.pop("status", CampaignStatus.OPEN))), **fields
    )
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, user: User, campaign: Campaign, data: CampaignData) -> None:
    """Edit a campaign (owners and administrators)."""
    check_manage(session, user, campaign)
    if campaign.status == CampaignStatus.ARCHIVED:
        raise CampaignError("La campagne est clôturée : rouvrez-la pour la modifier.")
    _apply(session, campaign, data)
    _check_regions(user, campaign)
    if campaign.status == CampaignStatus.OPEN:
        check_can_open(session, campaign)
    _add_co_owners(session, campaign, data.co_owner_emails)
    session.flush()
    record(
        session,
        user,
        "campaign.updated",
        object_type="campaign",
        object_id=campaign.id,
        campaign_id=campaign.id,
        name=campaign.name,
    )


def change_status(session: Session, user: User, campaign: Campaign, action: str) -> str:
    """Open or close the declarations, close (archive) or reopen the campaign; returns the
    French message to show."""
    check_manage(session, user, campaign)
    if action not in TRANSITIONS:
        raise CampaignError(f"Action inconnue : « {action} ».")
    allowed, target, message = TRANSITIONS[action]
    if campaign.status not in allowed:
        raise CampaignError(
            f"Impossible depuis l'état « {STATUS_LABELS.get(campaign.status, campaign.status)} »."
        )
    if target == CampaignStatus.OPEN:
        _check_regions(user, campaign)
        check_can_open(session, campaign)
    previous = campaign.status
    campaign.status = target
    session.flush()
    record(
        session,
        user,
        f"campaign.{action}",
        object_type="campaign",
        object_id=campaign.id,
        campaign_id=campaign.id,
        before=previous,
        after=target,
    )
    return message


def owners(session: Session, campaign: Campaign) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CampaignOwner, CampaignOwner.user_id == User.id)
            .where(CampaignOwner.campaign_id == campaign.id)
            .order_by(User.email)
        )
    )


def solver_defaults(config: Any, rules: ProgrammeRules) -> dict[str, Any]:
    """The solver parameters a campaign starts with: the programme rules', and the
    configuration's time limit."""
    programme = rules.solver_settings()
    # a time limit of 0 means "follows the size of the run" (left empty in the form)
    return {name: programme[name] for name in SOLVER_PARAM_RULES} | {
        name: config[setting] or None for name, setting in SOLVER_PARAM_SETTINGS.items()
    }


def audit_log(session: Session, campaign: Campaign, limit: int = 500) -> list[AuditEvent]:
    """The campaign's audit events, newest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.campaign_id == campaign.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def _apply(session: Session, campaign: Campaign, data: CampaignData) -> None:
    name = data.name.strip()
    if not name:
        raise CampaignError("Donnez un nom à la campagne.")
    clash = session.scalar(select(Campaign.id).where(Campaign.name == name))
    if clash is not None and clash != campaign.id:
        raise CampaignError(f"Une campagne s'appelle déjà « {name} ».")
    if data.region and data.region not in REGIONS:
        raise CampaignError(f"Région inconnue : « {data.region} ».")
    try:
        departments = resolve_scope(data.departments)
    except RunError as error:
        raise CampaignError(str(error)) from error
    if not data.region and not departments:
        raise CampaignError("Indiquez une région ou au moins un département.")
    if data.opens_on and data.closes_on and data.closes_on < data.opens_on:
        raise CampaignError("La date de clôture précède la date d'ouverture.")
    campaign.name = name
    campaign.region = data.region or None
    campaign.departments = departments
    campaign.opens_on = data.opens_on
    campaign.closes_on = data.closes_on
    campaign.description = (data.description or "").strip() or None
    campaign.solver_params = {k: v for k, v in data.solver_params.items() if v is not None}


def _add_owner(session: Session, campaign: Campaign, user: User) -> None:
    if not is_owner(session, user, campaign):
        session.add(CampaignOwner(campaign_id=campaign.id, user_id=user.id))
        session.flush()


def _add_co_owners(session: Session, campaign: Campaign, emails: Iterable[str]) -> None:
    for raw in emails:
        if raw.strip():
            _add_owner(session, campaign, _owner_account(session, campaign, raw))


def _owner_account(session: Session, campaign: Campaign, raw_email: str) -> User:
    """The collectif (or administrator) account ``raw_email`` that may own ``campaign``."""
    email = raw_email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None or user.role not in (Role.COLLECTIF, Role.ADMIN):
        raise CampaignError(
            f"« {email} » n'est pas un compte collectif SI MS : impossible de l'associer."
        )
    if not within_regions(user, campaign):
        raise CampaignError(
            f"« {email} » travaille sur une autre région que celle de la campagne : "
            "impossible de l'associer."
        )
    return user


def add_owner(session: Session, actor: User | None, campaign: Campaign, email: str) -> bool:
    """Make the collectif account ``email`` an owner of ``campaign`` (audited); False when
    it already was. ``actor`` None is the operator's command line, which may give any
    campaign (one created by ``grappes import-declarations``, say) its owners."""
    if actor is not None:
        check_manage(session, actor, campaign)
    user = _owner_account(session, campaign, email)
    if is_owner(session, user, campaign):
        return False
    _add_owner(session, campaign, user)
    record(
        session,
        actor,
        "campaign.owner_added",
        object_type="campaign",
        object_id=campaign.id,
        campaign_id=campaign.id,
        name=campaign.name,
        owner=user.email,
    )
    return True
