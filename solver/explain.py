"""Why an ESSMS is left out, and its best near-miss (French text, users read it).

Reason codes:

- `too_few_peers`: fewer compatible ESSMS than a grappe needs within reach: with a
  `max_distance_km` D, two members of one grappe are at most 2 D apart (through the centre),
  so the reach is R = 2 D (« seulement 8 ESSMS de l'éditeur X à moins de 100 km », « aucun
  autre ESSMS de l'éditeur X à moins de 100 km »); without a limit, the whole run (« dans
  tout le périmètre du calcul ») — for a SONS order, « SONS commandé pour X : aucune grappe
  de X à portée »;
- `grappe_full`, `too_far`, `og_overflow`, `apart_lock`: a compatible grappe is near but one
  rule forbids joining it;
- `not_selected`: enough peers exist within reach, but they are already in full grappes or
  too spread out to form a valid grappe with it (coverage comes first: distance alone never
  leaves an ESSMS out unless its penalty was lowered);
- `not_solved`: its sub-problem found no solution within the time limit;
- codes set earlier by `solver.prepare`: `excluded_by_lock`, `lock_conflict`,
  `og_too_large`, `unknown_editor`, `invalid_input`.

The near-miss is the closest grappe the ESSMS could join if one rule were relaxed (maximum
size, maximum distance, one editor, OG together), or, failing that, the minimum size it misses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from solver import geo
from solver.editors import compatible
from solver.prepare import Prepared
from solver.types import Candidate, Exclusion, Grappe, NearMiss, ReasonCode


def editor_label(editor: str | None) -> str:
    """How an editor is named in French messages."""
    return f"l'éditeur {editor}" if editor else "un éditeur à choisir"


def explain_uncovered(
    prep: Prepared,
    uncovered: list[int],
    grappes: list[Grappe],
    unsolved: set[int],
    expired: Callable[[], bool] | None = None,
) -> dict[int, Exclusion]:
    """Explain every left-out candidate position in `uncovered`.

    Once `expired()` is true (the solve's deadline passed, checked between chunks of 2,000),
    the rest get the cheap explanation: the reason without the near-miss grappe."""
    params = prep.params
    cands = prep.candidates
    if not uncovered:
        return {}
    same, flexible = _available_peers(prep, uncovered)
    centre_idx = np.array([prep.index[g.centre] for g in grappes], dtype=int)
    member_sets = [{m.finess_et for m in g.members} for g in grappes]
    apart_of: dict[str, set[str]] = defaultdict(set)
    for a, b in prep.apart_pairs:
        apart_of[cands[a].finess_et].add(cands[b].finess_et)
        apart_of[cands[b].finess_et].add(cands[a].finess_et)
    out: dict[int, Exclusion] = {}
    for start in range(0, len(uncovered), 2000):
        chunk = uncovered[start : start + 2000]
        if expired is not None and expired():
            centre_idx = centre_idx[:0]
        if len(centre_idx):
            dist = geo.pairwise_km(prep.points[chunk], prep.points[centre_idx])
        else:
            dist = np.zeros((len(chunk), 0))
        for row, i in enumerate(chunk):
            c = cands[i]
            minimum = params.min_size_overseas if prep.reduced[i] else params.min_size
            block = prep.blocks[prep.block_of[i]] if prep.block_of.get(i, -1) >= 0 else None
            weight = block.weight if block else 1
            # only grappes within the radius are looked at, nearest first
            close = np.flatnonzero(dist[row] <= params.explain_radius_km)
            order = close[np.argsort(dist[row][close], kind="stable")]
            near = _near_grappes(
                prep, c, i, weight, order, dist[row], grappes, member_sets, apart_of
            )
            near_miss = near[1] if near else None
            available = int(same[i] + flexible[i])
            if i in unsolved:
                code = ReasonCode.NOT_SOLVED
                reason = "sous-problème non résolu dans le temps imparti"
            elif available < minimum:
                code = ReasonCode.TOO_FEW_PEERS
                reason = _too_few_text(prep, c, i, int(same[i]), int(flexible[i]), minimum)
                if near_miss is None:
                    near_miss = NearMiss(
                        "taille minimale",
                        f"il manquerait {minimum - available} ESSMS pour atteindre le minimum "
                        f"de {minimum}",
                    )
            elif near is not None and near[0] != ReasonCode.OTHER_EDITOR:
                code, near_miss = near[0], near[1]
                reason = near_miss.text
            else:
                code = ReasonCode.NOT_SELECTED
                # a grappe with room beyond the radius: only the cost kept it out
                far = _nearest_with_room(
                    prep, c, i, weight, dist[row], grappes, member_sets, apart_of
                )
                if far is not None:
                    reason = far.text
                    near_miss = near_miss or far
                else:
                    reason = (
                        f"{_peers_text(prep, i, int(same[i]), int(flexible[i]))} "
                        f"{_reach_text(prep)}, mais déjà dans des grappes complètes ou trop "
                        "dispersés pour former avec lui une grappe valide"
                    )
            if block is not None and block.forced:
                code = ReasonCode.LOCK_CONFLICT
                reason = f"verrou « dans la grappe {block.key} » impossible à respecter : {reason}"
            out[i] = Exclusion(c.finess_et, code, reason, near_miss)
    return out


def _available_peers(prep: Prepared, targets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """For each target, within reach (`reach_km`, itself included): ESSMS bound to the same
    editor, and ESSMS without editor, wherever they are now: « too few peers » is a claim
    about the instance (an ESSMS without DUI in another editor's grappe could leave it).
    For a target without editor, every usable ESSMS counts as "same"."""
    n = len(prep.candidates)
    same = np.zeros(n, dtype=int)
    flexible = np.zeros(n, dtype=int)
    usable = [i for i in range(n) if prep.exclusions.get(i) is None]
    editor_of = [_editor_of(prep, i) for i in range(n)]
    by_editor: dict[str | None, list[int]] = defaultdict(list)
    for i in targets:
        by_editor[editor_of[i]].append(i)
    radius = reach_km(prep)
    for editor, group in by_editor.items():
        if editor is None:
            pools = [(usable, same)]
        else:
            pools = [([i for i in usable if editor_of[i] == editor], same)]
            pools.append(([i for i in usable if editor_of[i] is None], flexible))
        for pool, counts in pools:
            if pool and radius is None:
                counts[group] = len(pool)
            elif pool and radius is not None:
                tree = geo.build_tree(prep.points[pool])
                counts[group] = geo.count_within(tree, prep.points[group], radius)
    return same, flexible


def _editor_of(prep: Prepared, i: int) -> str | None:
    """The editor candidate i's block is bound to (None: flexible). An ESSMS without DUI
    follows its OG's editor (OG together), so it is told what its OG is told."""
    b = prep.block_of.get(i, -1)
    if b < 0:
        return prep.bound_editor[i]
    block = prep.blocks[b]
    return None if block.flexible else block.editor


def _may_join(prep: Prepared, i: int, editor: str | None) -> bool:
    """Can candidate i's block join a grappe of `editor` (None: an open grappe)?"""
    own = _editor_of(prep, i)
    return own is None or own == editor


def reach_km(prep: Prepared) -> float | None:
    """How far a grappe-mate can be: 2 x max_distance_km (through the centre), None without a
    distance limit."""
    limit = prep.params.max_distance_km
    return None if limit is None else 2 * limit


def _reach_text(prep: Prepared) -> str:
    radius = reach_km(prep)
    if radius is None:
        return "dans tout le périmètre du calcul"
    return f"à moins de {radius:g} km (distance maximale acceptable {radius / 2:g} km)"


def _peers_text(prep: Prepared, i: int, same: int, flexible: int) -> str:
    editor = _editor_of(prep, i)
    if editor is None:
        return f"{same} ESSMS"
    text = f"{same} ESSMS de {editor_label(editor)}"
    return f"{text} et {flexible} ESSMS sans DUI" if flexible else text


def _too_few_text(
    prep: Prepared, c: Candidate, i: int, same: int, flexible: int, minimum: int
) -> str:
    """`same` and `flexible` count the ESSMS itself among `same`."""
    reach = _reach_text(prep)
    peers = _peers_text(prep, i, same, flexible)
    if c.sons_editor:
        return (
            f"SONS commandé pour {c.sons_editor} : aucune grappe de {c.sons_editor} à portée "
            f"({peers} {reach}, minimum {minimum})"
        )
    if same <= 1 and flexible == 0:
        editor = _editor_of(prep, i)
        who = f"de {editor_label(editor)}" if editor else "compatible"
        return f"aucun autre ESSMS {who} {reach} (minimum {minimum} par grappe)"
    return f"seulement {peers} {reach} (minimum {minimum} par grappe)"


def _nearest_with_room(
    prep: Prepared,
    c: Candidate,
    i: int,
    weight: int,
    dist: np.ndarray,
    grappes: list[Grappe],
    member_sets: list[set[str]],
    apart_of: dict[str, set[str]],
) -> NearMiss | None:
    """The nearest grappe, at any distance, that the ESSMS (with its OG block) could join
    without breaking a rule: editor, room, distance limit, reduced minimum, apart locks.
    Found only when the cost of the trip kept it out (more than its `uncovered_penalty` and
    bonuses: 2,000 to 4,000 km by default)."""
    params = prep.params
    if len(dist) == 0:
        return None
    for j in np.argsort(dist, kind="stable"):
        g = grappes[int(j)]
        d = float(dist[int(j)])
        if params.max_distance_km is not None and d > params.max_distance_km:
            break
        if g.frozen or not _may_join(prep, i, g.editor) or g.size + weight > params.max_size:
            continue
        if prep.reduced[prep.index[g.centre]] and not prep.reduced[i]:
            continue
        if apart_of.get(c.finess_et, set()) & member_sets[int(j)]:
            continue
        return _only_the_cost(g, d)
    return None


def _grappe_label(g: Grappe, d: float) -> str:
    """« la grappe G0001 (l'éditeur E1, à 7.6 km) »."""
    return f"la grappe {g.key} ({editor_label(g.editor)}, à {d:.1f} km)"


def _only_the_cost(g: Grappe, d: float) -> NearMiss:
    """Grappe `g`, `d` km away, could take the ESSMS: only the cost of the trip kept it out."""
    label = _grappe_label(g, d)
    text = f"{label} pourrait l'accueillir, mais ce trajet coûte plus que son exclusion"
    return NearMiss("coût", text, g.key, g.editor, d)


def _near_grappes(
    prep: Prepared,
    c: Candidate,
    i: int,
    weight: int,
    order: np.ndarray,
    dist: np.ndarray,
    grappes: list[Grappe],
    member_sets: list[set[str]],
    apart_of: dict[str, set[str]],
) -> tuple[ReasonCode, NearMiss] | None:
    """The closest grappe that one relaxed rule would open, with that rule's code."""
    params = prep.params
    fallback: tuple[ReasonCode, NearMiss] | None = None
    for j in order[:50]:
        g = grappes[int(j)]
        d = float(dist[int(j)])
        if d > params.explain_radius_km:
            break
        label = _grappe_label(g, d)
        if not _may_join(prep, i, g.editor) or g.frozen:
            if g.frozen:
                rule = "grappe figée"
            else:  # the ESSMS could, its OG (bound to another editor) cannot
                rule = "OG ensemble" if compatible(c, g.editor) else "éditeur unique"
            if fallback is None:
                fallback = (
                    ReasonCode.OTHER_EDITOR,
                    NearMiss(
                        rule, f"{label} : il faudrait lever la règle « {rule} »", g.key, g.editor, d
                    ),
                )
            continue
        if apart_of.get(c.finess_et, set()) & member_sets[int(j)]:
            return ReasonCode.APART_LOCK, NearMiss(
                "verrou « séparés »",
                f"{label} contient un ESSMS dont il doit être séparé",
                g.key,
                g.editor,
                d,
            )
        if params.max_distance_km is not None and d > params.max_distance_km:
            return ReasonCode.TOO_FAR, NearMiss(
                "distance maximale",
                f"{label} dépasse la distance maximale de {params.max_distance_km:g} km",
                g.key,
                g.editor,
                d,
            )
        if g.size >= params.max_size:
            return ReasonCode.GRAPPE_FULL, NearMiss(
                "taille maximale",
                f"{label} est complète ({g.size} ESSMS, maximum {params.max_size})",
                g.key,
                g.editor,
                d,
            )
        if g.size + weight > params.max_size:
            return ReasonCode.OG_OVERFLOW, NearMiss(
                "taille maximale",
                f"avec les {weight} ESSMS de son OG, {label} dépasserait la taille maximale "
                f"({params.max_size})",
                g.key,
                g.editor,
                d,
            )
        return ReasonCode.NOT_SELECTED, _only_the_cost(g, d)
    return fallback
