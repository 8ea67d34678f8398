"""Recording actions in the audit log (flush, never commit: the caller's transaction)."""

from __future__ import annotations

import getpass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from matchmaker.models.audit import AuditEvent


class Actor(Protocol):
    """Anything with an id and an e-mail (a User); None means the command line."""

    id: int
    email: str


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    campaign_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add one audit event to the session's transaction."""
    event = AuditEvent(
        user_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else f"cli:{_system_user()}",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        campaign_id=campaign_id,
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "inconnu"
