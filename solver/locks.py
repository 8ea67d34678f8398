"""Reading the human locks: exclusions, frozen grappes, tie links and MustJoin keys."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from solver.editors import compatible
from solver.types import (
    Apart,
    Exclude,
    Exclusion,
    FrozenGrappe,
    Lock,
    LockError,
    MustJoin,
    ReasonCode,
    Together,
)

if TYPE_CHECKING:
    from solver.prepare import Prepared


def read_locks(
    prep: Prepared, locks: tuple[Lock, ...]
) -> tuple[list[tuple[int, int]], dict[int, str]]:
    """Check locks, record exclusions and frozen grappes; return tie links and MustJoin keys."""
    idx = prep.index

    def pos(finess_et: str) -> int:
        if finess_et not in idx:
            raise LockError(f"Verrou sur un ESSMS inconnu des candidats : {finess_et}")
        return idx[finess_et]

    frozen_keys: dict[str, FrozenGrappe] = {}
    frozen_members: dict[int, str] = {}
    for lock in locks:
        if isinstance(lock, FrozenGrappe):
            if lock.key in frozen_keys:
                raise LockError(f"Deux grappes figées portent la clé {lock.key}")
            frozen_keys[lock.key] = lock
            for f in lock.members:
                i = pos(f)
                if i in frozen_members:
                    raise LockError(f"L'ESSMS {f} est dans deux grappes figées")
                frozen_members[i] = lock.key
    links: list[tuple[int, int]] = []
    keys: dict[int, str] = {}
    joins_frozen: dict[str, list[int]] = defaultdict(list)
    excluded: set[int] = set()
    for lock in locks:
        if isinstance(lock, Exclude):
            excluded.add(pos(lock.finess_et))
        elif isinstance(lock, Together):
            links.append((pos(lock.a), pos(lock.b)))
        elif isinstance(lock, Apart):
            a, b = pos(lock.a), pos(lock.b)
            if a == b:
                raise LockError(f"Verrou « séparés » d'un ESSMS avec lui-même : {lock.a}")
            prep.apart_pairs.append((a, b))
        elif isinstance(lock, MustJoin):
            i = pos(lock.finess_et)
            if i in keys and keys[i] != lock.grappe_key:
                raise LockError(f"L'ESSMS {lock.finess_et} est verrouillé dans deux grappes")
            if lock.grappe_key in frozen_keys:
                joins_frozen[lock.grappe_key].append(i)
            else:
                keys[i] = lock.grappe_key
    for i in sorted(excluded):
        c = prep.candidates[i]
        prep.exclusions.setdefault(
            i,
            Exclusion(
                c.finess_et, ReasonCode.EXCLUDED_BY_LOCK, "exclu par un verrou (décision humaine)"
            ),
        )
    for key, fg in frozen_keys.items():
        members = [idx[f] for f in fg.members]
        extra: list[int] = []
        for i in joins_frozen.get(key, []):
            c = prep.candidates[i]
            if i in frozen_members or i in prep.exclusions:
                continue
            if not compatible(c, fg.editor):
                prep.exclusions[i] = Exclusion(
                    c.finess_et,
                    ReasonCode.LOCK_CONFLICT,
                    f"verrou impossible : la grappe figée {key} est de l'éditeur "
                    f"{fg.editor or 'à choisir'}, incompatible avec cet ESSMS",
                )
            elif len(members) + len(extra) >= prep.params.max_size:
                prep.exclusions[i] = Exclusion(
                    c.finess_et,
                    ReasonCode.LOCK_CONFLICT,
                    f"verrou impossible : la grappe figée {key} a atteint la taille maximale "
                    f"({prep.params.max_size} ESSMS)",
                )
            else:
                extra.append(i)
        for i in members + extra:
            frozen_members[i] = key
        prep.frozen.append((fg, members + extra))
    for i in frozen_members:
        keys.pop(i, None)
    links = [(a, b) for a, b in links if a not in frozen_members and b not in frozen_members]
    prep.apart_pairs = [
        (a, b) for a, b in prep.apart_pairs if a not in frozen_members or b not in frozen_members
    ]
    for i in frozen_members:
        prep.exclusions.pop(i, None)
        prep.block_of[i] = -1
    return links, keys
