"""Check every hard rule on any `Solution`, independently of the model.

Nothing here reuses the model's data structures: distances are recomputed from coordinates,
editors from the candidates' DUI/SONS fields, locks from the lock objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from solver.geo import haversine_km, is_reduced_minimum
from solver.types import (
    Apart,
    Candidate,
    Exclude,
    FrozenGrappe,
    Grappe,
    Lock,
    MustJoin,
    ReasonCode,
    Solution,
    SolveParams,
    Together,
)

DISTANCE_TOLERANCE_KM = 0.1


@dataclass(frozen=True)
class Violation:
    """One broken rule: a code, a French message and what it concerns."""

    rule: str
    message: str
    subject: str


def _bound(c: Candidate) -> str | None:
    """The editor an ESSMS is bound to: its SONS editor, else its DUI's editor; an ESSMS
    without DUI is bound to none (its preferred editor is only a preference)."""
    if c.sons_editor:
        return c.sons_editor
    return None if c.dui_status == "aucun" else (c.editor or None)


def _allowed(c: Candidate, editor: str | None) -> bool:
    """Editor rule: SONS editor, else DUI editor, else anyone; an open grappe (editor None)
    only takes ESSMS bound to no editor."""
    bound = _bound(c)
    if editor is None:
        return bound is None
    return bound is None or bound == editor


def validate(
    candidates: Iterable[Candidate],
    params: SolveParams,
    locks: Iterable[Lock],
    solution: Solution,
) -> list[Violation]:
    """Every violation of a hard rule in `solution` (empty list = valid)."""
    cands = {c.finess_et: c for c in candidates}
    locks = tuple(locks)
    out: list[Violation] = []

    def bad(rule: str, message: str, subject: str) -> None:
        out.append(Violation(rule, message, subject))

    where: dict[str, str] = {}
    for g in solution.grappes:
        for m in g.members:
            if m.finess_et not in cands:
                bad("unknown_essms", "ESSMS absent des candidats", m.finess_et)
            elif m.finess_et in where:
                bad(
                    "twice", f"ESSMS dans deux grappes ({where[m.finess_et]}, {g.key})", m.finess_et
                )
            where[m.finess_et] = g.key
    excluded = {e.finess_et for e in solution.exclusions}
    for f in cands:
        if f in where and f in excluded:
            bad("covered_and_excluded", "ESSMS à la fois en grappe et exclu", f)
        if f not in where and f not in excluded:
            bad("unaccounted", "ESSMS ni en grappe ni expliqué", f)
    keys = [g.key for g in solution.grappes]
    if len(keys) != len(set(keys)):
        bad("duplicate_key", "deux grappes ont la même clé", ",".join(sorted(keys)))
    for g in solution.grappes:
        _check_grappe(g, cands, params, bad)
    if params.keep_og_together:
        _check_og_together(cands, params, where, bad)
    _check_locks(locks, where, solution, bad)
    return out


Report = Callable[[str, str, str], None]


def _check_grappe(g: Grappe, cands: dict[str, Candidate], params: SolveParams, bad: Report) -> None:
    """Size (reduced minimum when all members are in Corsica/overseas), editor, centre,
    reported and maximum distances, carrier."""
    members = [cands[m.finess_et] for m in g.members if m.finess_et in cands]
    if len(members) != len(g.members):
        return
    reduced = all(
        is_reduced_minimum(c.department, params.reduced_minimum_departments) for c in members
    )
    minimum = params.min_size_overseas if reduced else params.min_size
    if len(members) < minimum:
        bad("min_size", f"{len(members)} ESSMS, minimum {minimum}", g.key)
    if len(members) > params.max_size:
        bad("max_size", f"{len(members)} ESSMS, maximum {params.max_size}", g.key)
    for c in members:
        if not _allowed(c, g.editor):
            bad("editor", f"{c.finess_et} ne peut pas rejoindre l'éditeur {g.editor}", g.key)
    if g.centre not in {c.finess_et for c in members}:
        bad("centre", "le centre n'est pas membre de la grappe", g.key)
        return
    centre = cands[g.centre]
    for m in g.members:
        c = cands[m.finess_et]
        d = haversine_km(c.latitude, c.longitude, centre.latitude, centre.longitude)
        if abs(d - m.distance_km) > DISTANCE_TOLERANCE_KM:
            bad(
                "distance_report",
                f"distance annoncée {m.distance_km} km, réelle {d:.1f}",
                m.finess_et,
            )
        if params.max_distance_km is not None and d > params.max_distance_km + 1e-6:
            bad("max_distance", f"{m.finess_et} à {d:.1f} km du centre", g.key)
    if g.carrier_ej not in {c.finess_ej for c in members}:
        bad("carrier", "le porteur n'est pas un OG de la grappe", g.key)


def _check_og_together(
    cands: dict[str, Candidate], params: SolveParams, where: dict[str, str], bad: Report
) -> None:
    """ESSMS of one OG bound to the same editor are in one grappe or all left out, unless
    the OG block is larger than max_size (split policy)."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in cands.values():
        bound = _bound(c)
        if bound:
            groups[(c.finess_ej, bound)].append(c.finess_et)
    for (ej, editor), members in groups.items():
        if len(members) > params.max_size:
            continue
        places = {where.get(f) for f in members}
        if len(places) > 1:
            bad("og_together", f"OG {ej} ({editor}) réparti entre {sorted(map(str, places))}", ej)


def _check_locks(
    locks: tuple[Lock, ...], where: dict[str, str], solution: Solution, bad: Report
) -> None:
    """Exclude, Apart, Together, MustJoin (or an explained conflict), FrozenGrappe."""
    grappes = {g.key: g for g in solution.grappes}
    for lock in locks:
        if isinstance(lock, Exclude) and lock.finess_et in where:
            bad("lock_exclude", "ESSMS exclu par verrou mais placé", lock.finess_et)
        elif isinstance(lock, Apart):
            if where.get(lock.a) is not None and where.get(lock.a) == where.get(lock.b):
                bad("lock_apart", f"{lock.a} et {lock.b} ensemble", where[lock.a])
        elif isinstance(lock, Together):
            if where.get(lock.a) != where.get(lock.b):
                bad("lock_together", f"{lock.a} et {lock.b} séparés", lock.a)
        elif isinstance(lock, MustJoin):
            if lock.finess_et in where and where[lock.finess_et] != lock.grappe_key:
                bad(
                    "lock_must_join",
                    f"dans {where[lock.finess_et]} au lieu de {lock.grappe_key}",
                    lock.finess_et,
                )
            if lock.finess_et not in where:
                excl = next((e for e in solution.exclusions if e.finess_et == lock.finess_et), None)
                if excl is None or excl.reason_code not in (
                    ReasonCode.LOCK_CONFLICT,
                    ReasonCode.EXCLUDED_BY_LOCK,
                    ReasonCode.INVALID_INPUT,
                    ReasonCode.UNKNOWN_EDITOR,
                ):
                    bad(
                        "lock_must_join",
                        "verrou « dans la grappe » non respecté sans explication de conflit",
                        lock.finess_et,
                    )
        elif isinstance(lock, FrozenGrappe):
            g = grappes.get(lock.key)
            if g is None:
                bad("lock_frozen", "grappe figée absente", lock.key)
                continue
            present = {m.finess_et for m in g.members}
            if not set(lock.members) <= present or g.editor != lock.editor:
                bad("lock_frozen", "grappe figée modifiée", lock.key)
