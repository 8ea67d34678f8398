"""A campaign's locks (the collectif's decisions) as the solver's locks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Grappe, Lock
from matchmaker.vocabulary import LockKind
from solver import types as st


def grappe_key(grappe: Grappe) -> str:
    """The solver's key of a stored grappe (stable across runs)."""
    return f"g{grappe.id}"


def solver_locks(session: Session, campaign_id: int | None) -> tuple[st.Lock, ...]:
    """The campaign's active locks, as solver locks (frozen grappes with their members)."""
    if campaign_id is None:
        return ()
    locks: list[st.Lock] = []
    rows = session.scalars(
        select(Lock).where(Lock.campaign_id == campaign_id, Lock.active.is_(True)).order_by(Lock.id)
    )
    for lock in rows:
        if lock.kind == LockKind.EXCLUDE and lock.finess_et:
            locks.append(st.Exclude(lock.finess_et))
        elif lock.kind == LockKind.TOGETHER and lock.finess_et and lock.other_finess_et:
            locks.append(st.Together(lock.finess_et, lock.other_finess_et))
        elif lock.kind == LockKind.APART and lock.finess_et and lock.other_finess_et:
            locks.append(st.Apart(lock.finess_et, lock.other_finess_et))
        elif lock.kind == LockKind.MUST_JOIN and lock.finess_et and lock.grappe_id:
            locks.append(st.MustJoin(lock.finess_et, f"g{lock.grappe_id}"))
        elif lock.kind == LockKind.FREEZE and lock.grappe_id:
            grappe = session.get(Grappe, lock.grappe_id)
            if grappe is not None:
                locks.append(
                    st.FrozenGrappe(
                        key=grappe_key(grappe),
                        editor=grappe.editor_name or None,
                        members=tuple(m.finess_et for m in grappe.members),
                    )
                )
    return tuple(locks)
