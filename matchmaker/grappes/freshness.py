"""Which state of a campaign's declarations a run used, and whether it changed since.

A declaration is never edited for what it says: a new one replaces it (a new row, the old
one no longer current, see ``matchmaker.declarations.services``); only its editor match is
set in place. So the state is the highest declaration id of the campaign (every change since
adds a row above it), the number of current declarations and a digest of their ids and
editor matches (an accepted editor match changes it).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.models import Declaration, SolverRun

#: Key of the state in ``SolverRun.stats``.
STATS_KEY = "declarations"


def declarations_state(session: Session, campaign_id: int | None) -> dict[str, Any] | None:
    """The campaign's declarations as a run sees them (None without a campaign)."""
    if campaign_id is None:
        return None
    max_id = session.scalar(
        select(func.max(Declaration.id)).where(Declaration.campaign_id == campaign_id)
    )
    rows = session.execute(
        select(Declaration.id, Declaration.editor_id, Declaration.sons_editor_id)
        .where(Declaration.campaign_id == campaign_id, Declaration.is_current.is_(True))
        .order_by(Declaration.id)
    ).all()
    digest = hashlib.sha256(
        ";".join(f"{id_},{editor},{sons}" for id_, editor, sons in rows).encode()
    ).hexdigest()
    return {"max_id": max_id or 0, "current": len(rows), "digest": digest}


def changes_since(session: Session, run: SolverRun) -> int | None:
    """How many declarations changed since the state the run used: 0 when none, None when
    the run recorded no state (planning mode, older runs). An editor match accepted in place
    counts as one change."""
    used = (run.stats or {}).get(STATS_KEY)
    if not used or run.campaign_id is None:
        return None
    now = declarations_state(session, run.campaign_id)
    if now is None or (now["digest"] == used["digest"] and now["max_id"] == used["max_id"]):
        return 0
    added = session.scalar(
        select(func.count(Declaration.id)).where(
            Declaration.campaign_id == run.campaign_id, Declaration.id > used["max_id"]
        )
    )
    return max(int(added or 0), 1)


def changed_text(changes: int) -> str:
    """What a run's page and ``grappes runs`` say when declarations changed since the run."""
    plural = "s" if changes > 1 else ""
    return (
        f"Les déclarations ont changé depuis ce calcul ({changes} modification{plural}) : "
        "relancez-le pour en tenir compte."
    )
