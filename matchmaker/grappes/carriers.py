"""Carriers chosen by the collectif: each keeps carrying the grappe that holds its ESSMS."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Lock
from matchmaker.vocabulary import LockKind
from solver import types as st

#: Why a grappe has the carrier the collectif chose.
CHOSEN_CARRIER = "Choisi par le collectif."


def chosen_carriers(session: Session, campaign_id: int | None) -> list[str]:
    """The OG the collectif chose as carriers, most recent choice first."""
    if campaign_id is None:
        return []
    return list(
        session.scalars(
            select(Lock.carrier_ej)
            .where(
                Lock.campaign_id == campaign_id,
                Lock.active.is_(True),
                Lock.kind == LockKind.CARRIER,
                Lock.carrier_ej.is_not(None),
            )
            .order_by(Lock.id.desc())
        )
    )


def apply_chosen_carriers(solution: st.Solution, carriers: list[str]) -> st.Solution:
    """Each grappe holding ESSMS of a chosen carrier OG gets it as carrier (the most recent
    choice wins when a grappe holds several); the solver's choice stands elsewhere."""
    if not carriers:
        return solution
    rank = {finess_ej: index for index, finess_ej in enumerate(carriers)}
    grappes = []
    for grappe in solution.grappes:
        chosen = sorted({m.finess_ej for m in grappe.members} & rank.keys(), key=rank.__getitem__)
        if chosen:
            grappe = replace(grappe, carrier_ej=chosen[0], carrier_reason=CHOSEN_CARRIER)
        grappes.append(grappe)
    return replace(solution, grappes=tuple(grappes))
