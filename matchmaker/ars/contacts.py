"""The contact log of a region: actions towards ESSMS and OG, and their pipeline stage.

Rules: an ARS works only on the ESSMS of its region, and on the OG running at least one
of them; each new action on a target supersedes the target's current action (which stays,
flagged ``is_current`` false and pointing to its successor): nothing is ever deleted.
The log of one region is invisible from another (every query filters on the region).
An action is dated today or earlier: a date in the future is refused (it would hide the
real latest action).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.audit.services import record
from matchmaker.domain_errors import Forbidden, Invalid, NotFound
from matchmaker.models import ContactAction, Establishment, Organisation, User
from matchmaker.models.contacts import CHANNELS, STAGES
from matchmaker.vocabulary import ContactChannel

#: French labels of the channels.
CHANNEL_LABELS: dict[str, str] = ContactChannel.labels()


class ContactError(Invalid, ValueError):
    """An action that cannot be logged; the message is French."""


@dataclass(frozen=True)
class ContactInput:
    """What the form gives."""

    acted_on: date
    channel: str
    stage: str
    outcome: str | None = None
    next_step: str | None = None


@dataclass(frozen=True)
class LogRow:
    """A current action with the name of its target."""

    action: ContactAction
    target_name: str
    department: str | None


def essms_target(session: Session, region: str, finess_et: str) -> Establishment:
    """The ESSMS, if it is in the region (else ``Forbidden``; unknown: ``NotFound``)."""
    establishment = session.get(Establishment, finess_et)
    if establishment is None:
        raise NotFound(f"Établissement {finess_et} introuvable.")
    if establishment.region != region:
        raise Forbidden("Cet établissement n'est pas dans votre région.")
    return establishment


def og_target(session: Session, region: str, finess_ej: str) -> Organisation:
    """The OG, if it runs at least one establishment of the region."""
    organisation = session.get(Organisation, finess_ej)
    if organisation is None:
        raise NotFound(f"Organisme {finess_ej} introuvable.")
    in_region = session.scalar(
        select(Establishment.finess_et)
        .where(Establishment.finess_ej == finess_ej, Establishment.region == region)
        .limit(1)
    )
    if in_region is None:
        raise Forbidden("Cet organisme ne gère aucun établissement de votre région.")
    return organisation


def record_action(
    session: Session,
    user: User,
    region: str,
    data: ContactInput,
    *,
    finess_et: str | None = None,
    finess_ej: str | None = None,
) -> ContactAction:
    """Log an action on an ESSMS (``finess_et``) or an OG (``finess_ej`` only); it becomes
    the target's current action and supersedes the previous one. Audited."""
    if data.channel not in CHANNELS:
        raise ValueError(f"Canal inconnu : {data.channel}")
    if data.stage not in STAGES:
        raise ValueError(f"Étape inconnue : {data.stage}")
    today = date.today()
    if data.acted_on > today:
        raise ContactError(
            f"La date de l'action ({data.acted_on:%d/%m/%Y}) est dans le futur : indiquez "
            f"la date à laquelle l'action a eu lieu, au plus tard aujourd'hui ({today:%d/%m/%Y})."
        )
    if finess_et is not None:
        establishment = essms_target(session, region, finess_et)
        finess_ej = establishment.finess_ej
    elif finess_ej is not None:
        og_target(session, region, finess_ej)
    else:
        raise ValueError("Une action porte sur un ESSMS ou sur un organisme.")
    previous = _current(session, region, finess_et=finess_et, finess_ej=finess_ej)
    if previous is not None:
        # Release the "one current action" index before the new row is inserted.
        previous.is_current = False
        session.flush()
    action = ContactAction(
        region=region,
        finess_et=finess_et,
        finess_ej=finess_ej,
        acted_on=data.acted_on,
        channel=data.channel,
        stage=data.stage,
        outcome=(data.outcome or "").strip() or None,
        next_step=(data.next_step or "").strip() or None,
        user_id=user.id,
        user_email=user.email,
        is_current=True,
    )
    session.add(action)
    session.flush()
    if previous is not None:
        previous.superseded_by_id = action.id
        session.flush()
    record(
        session,
        user,
        "ars.contact",
        object_type="essms" if finess_et else "og",
        object_id=finess_et or finess_ej,
        region=region,
        stage=data.stage,
        channel=data.channel,
    )
    return action


def _current(
    session: Session, region: str, *, finess_et: str | None, finess_ej: str | None
) -> ContactAction | None:
    query = select(ContactAction).where(
        ContactAction.region == region, ContactAction.is_current.is_(True)
    )
    if finess_et is not None:
        query = query.where(ContactAction.finess_et == finess_et)
    else:
        query = query.where(ContactAction.finess_ej == finess_ej, ContactAction.finess_et.is_(None))
    return session.scalar(query)


def history(
    session: Session, region: str, *, finess_et: str | None = None, finess_ej: str | None = None
) -> list[ContactAction]:
    """Every action of the region's log on the target, newest first."""
    query = select(ContactAction).where(ContactAction.region == region)
    if finess_et is not None:
        query = query.where(ContactAction.finess_et == finess_et)
    else:
        query = query.where(ContactAction.finess_ej == finess_ej, ContactAction.finess_et.is_(None))
    return list(session.scalars(query.order_by(ContactAction.id.desc())))


def current_log(session: Session, region: str, stage: str | None = None) -> list[LogRow]:
    """The current action of every target of the region's log, most recent first."""
    query = (
        select(
            ContactAction,
            Establishment.long_name,
            Establishment.short_name,
            Establishment.department,
            Organisation.name,
        )
        .join(Organisation, Organisation.finess_ej == ContactAction.finess_ej)
        .outerjoin(Establishment, Establishment.finess_et == ContactAction.finess_et)
        .where(ContactAction.region == region, ContactAction.is_current.is_(True))
        .order_by(ContactAction.acted_on.desc(), ContactAction.id.desc())
    )
    if stage:
        query = query.where(ContactAction.stage == stage)
    rows: list[LogRow] = []
    for action, long_name, short_name, department, og_name in session.execute(query):
        name = (long_name or short_name) if action.finess_et else (og_name or action.finess_ej)
        rows.append(LogRow(action, name or "", department))
    return rows


def count_actions(session: Session, region: str) -> int:
    """All actions of the region's log, superseded ones included."""
    return int(
        session.scalar(
            select(func.count()).select_from(ContactAction).where(ContactAction.region == region)
        )
        or 0
    )
