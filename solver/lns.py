"""Large neighbourhood search over neighbouring grappes (issue 13).

The sub-problems of `solver.decompose` see only sparse arcs (each block's `k_neighbours`
nearest centres) and are cut geographically, and the repairs after them (insertion,
regrouping, `heuristic.improve_solution`) only move one block at a time. This phase removes
what that leaves behind: it repeatedly takes a seed grappe and its nearest grappes (up to
`LNS_MAX_GRAPPES` grappes and `LNS_MAX_ESSMS` ESSMS) with the blocks left out near them, frees
their blocks and solves that neighbourhood exactly with CP-SAT on **all** arcs among them
(the functions of `solver.model`, so every hard rule is the same: sizes, reduced minimum,
editor rule with flexible ESSMS, `max_distance_km`, apart locks, MustJoin keys). The current
assignment is the hint; the new one is kept only when it lowers the objective and covers at
least as many ESSMS (a constraint of the model). Frozen grappes are not in `block_grappe` and
are never touched.

The objective of a neighbourhood is that of the whole solution restricted to it (distances,
preference penalties and carrier bonuses are per grappe, penalties per block), so a local
decrease is a global one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver import geo
from solver.decompose import Subproblem, local_apart
from solver.heuristic import UNASSIGNED, is_feasible, objective
from solver.model import add_hint, build_model
from solver.prepare import Prepared

GrappeKey = tuple[str | None, int]

#: Neighbourhood sizes, tried in this order: (grappes freed together at most, the seed and
#: its nearest ones; ESSMS in them at most, the left-out blocks near them coming on top).
#: Small ones first: on Occitanie (3,000 ESSMS) pairs converge in about 15 s, and larger
#: neighbourhoods then find what pairs cannot (measured, bench/SOLVER.md).
LNS_LEVELS = ((2, 100), (3, 150), (4, 200), (5, 250))
#: ESSMS left out near the neighbourhood that are offered to it at most.
LNS_MAX_LEFT_OUT = 40
#: CP-SAT deterministic time of one neighbourhood (reproducible), and its wall-time guard.
LNS_DETERMINISTIC_TIME = 2.0
LNS_WALL_S = 4.0
#: Neighbourhoods shorter than this before the deadline are not started (seconds).
LNS_MIN_LEFT_S = 0.3


@dataclass
class LnsStats:
    """What the search did (bench and tests)."""

    tried: int = 0
    improved: int = 0
    gain: int = 0
    skipped: int = 0
    #: CP-SAT deterministic time spent (the work limit counts it).
    deterministic_time: float = 0.0
    #: Stopped by the wall clock (the deadline, or a neighbourhood's wall-time guard) before
    #: converging or spending its work limit: the result may then depend on the machine's load.
    stopped_by_deadline: bool = False


def neighbourhood_subproblem(prep: Prepared, block_ids: list[int]) -> Subproblem | None:
    """The sub-problem of `block_ids` with every arc among them (no k-nearest limit).

    A local centre is a pair (candidate, grappe editor): a member of a block bound to editor
    E heads a grappe of E; a member of a flexible block heads an open grappe (editor None,
    when allowed) or a grappe of any editor bound in the neighbourhood (the repairs and the
    recentring produce such grappes, and the editor rule allows them). A block may join a
    centre when the editor rule allows it (bound to the centre's editor, or flexible), every
    member is within `max_distance_km`, and, for a Corsica/overseas centre, the block is
    wholly there; cost = distances in tenths of km + preference penalties, as in
    `solver.decompose.block_arcs`.
    """
    params = prep.params
    blocks = [prep.blocks[b] for b in sorted(block_ids)]
    if not blocks:
        return None
    editors = sorted({b.editor for b in blocks if not b.flexible and b.editor is not None})
    pairs: list[tuple[int, str | None, int]] = []  # (candidate, editor, local block)
    for lb, b in enumerate(blocks):
        if b.flexible:
            options: list[str | None] = list(editors)
            if params.allow_open_grappes:
                options.append(None)
        else:
            options = [b.editor]
        for i in b.members:
            pairs.extend((i, e, lb) for e in options)
    if not pairs:
        return None
    members = [i for b in blocks for i in b.members]
    starts = np.cumsum([0] + [b.weight for b in blocks])[:-1]
    centre_ids = sorted({i for i, _, _ in pairs})
    column = {c: j for j, c in enumerate(centre_ids)}
    d = geo.pairwise_km(prep.points[members], prep.points[centre_ids])
    tenths = np.add.reduceat(np.rint(d * 10).astype(np.int64), starts, axis=0)
    farthest = np.maximum.reduceat(d, starts, axis=0)
    max_d = params.max_distance_km
    centres: list[int] = []
    centre_editor: list[str | None] = []
    centre_block: list[int] = []
    arcs: list[tuple[int, int, int]] = []
    for c, e, own in pairs:
        j = column[c]
        if prep.reduced[c] and not blocks[own].reduced:
            continue
        if max_d is not None and farthest[own, j] > max_d:
            continue
        local = len(centres)
        centre_arcs = []
        for lb, b in enumerate(blocks):
            if not b.flexible and b.editor != e:
                continue
            if prep.reduced[c] and not b.reduced:
                continue
            if max_d is not None and farthest[lb, j] > max_d:
                continue
            cost = params.distance_weight * int(tenths[lb, j])
            centre_arcs.append((lb, local, cost + params.preference_penalty * b.unwanted(e)))
        centres.append(c)
        centre_editor.append(e)
        centre_block.append(own)
        arcs.extend(centre_arcs)
    if not arcs:
        return None
    apart = local_apart(prep, blocks)
    return Subproblem(
        key="lns",
        editor=None,
        blocks=[b.index for b in blocks],
        centre_editor=centre_editor,
        weights=[b.weight for b in blocks],
        penalties=[b.penalty for b in blocks],
        forced=[b.forced for b in blocks],
        capable=[b.capable for b in blocks],
        centres=centres,
        centre_block=centre_block,
        centre_min=[
            params.min_size_overseas if prep.reduced[c] else params.min_size for c in centres
        ],
        arcs=sorted(arcs),
        apart=apart,
        max_size=params.max_size,
        carrier_bonus=params.carrier_bonus,
        n_candidates=len(members),
        seed=params.random_seed,
        relative_gap_limit=0.0,
        cp_linearization_level=params.cp_linearization_level,
        deterministic_time_per_s=params.deterministic_time_per_s,
    )


def grappe_blocks(block_grappe: dict[int, GrappeKey]) -> dict[GrappeKey, list[int]]:
    """The blocks (sorted) of each grappe, grappes in (editor, centre) order."""
    members: dict[GrappeKey, list[int]] = defaultdict(list)
    for b, key in block_grappe.items():
        members[key].append(b)
    return {k: sorted(members[k]) for k in sorted(members, key=lambda k: (k[0] or "", k[1]))}


def write_back(sp: Subproblem, assign: list[int], block_grappe: dict[int, GrappeKey]) -> None:
    """Put a sub-problem's assignment (local indices) into `block_grappe`: its blocks join
    their new grappes, or leave the solution."""
    for lb, gb in enumerate(sp.blocks):
        c = assign[lb]
        if c == UNASSIGNED:
            block_grappe.pop(gb, None)
        else:
            block_grappe[gb] = (sp.centre_editor[c], sp.centres[c])


def local_assignment(sp: Subproblem, block_grappe: dict[int, GrappeKey]) -> list[int] | None:
    """The current assignment in the sub-problem's local indices (None: an arc is missing)."""
    local_centre = {(c, sp.centre_editor[j]): j for j, c in enumerate(sp.centres)}
    arcs = {(b, c) for b, c, _ in sp.arcs}
    out: list[int] = []
    for lb, gb in enumerate(sp.blocks):
        key = block_grappe.get(gb)
        if key is None:
            out.append(UNASSIGNED)
            continue
        c = local_centre.get((key[1], key[0]))
        if c is None or (lb, c) not in arcs:
            return None
        out.append(c)
    return out


@dataclass
class Resolved:
    """What one exact re-solve returns (picklable: windows run in worker processes)."""

    #: The new assignment (local indices), or None when it is not strictly better.
    assign: list[int] | None
    deterministic_time: float
    #: The wall-time guard, not the work limit, stopped the search.
    stopped_by_wall: bool


def resolve(
    sp: Subproblem, current: list[int], deterministic_time: float, wall_s: float
) -> Resolved:
    """CP-SAT on `sp`, hinted by `current`, covering at least as many ESSMS, within
    `deterministic_time` (reproducible) and `wall_s` (the guard)."""
    model, v = build_model(sp)
    covered = sum(sp.weights[b] for b, c in enumerate(current) if c != UNASSIGNED)
    model.add(sum(sp.weights[b] * v.x[b, c] for b, c, _ in sp.arcs) >= covered)
    add_hint(model, sp, v, current)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.random_seed = sp.seed
    p.max_deterministic_time = deterministic_time
    p.max_time_in_seconds = max(0.05, wall_s)
    p.cp_model_presolve = True
    p.linearization_level = sp.cp_linearization_level
    status = solver.solve(model)
    name = solver.status_name(status)
    stopped = name != "OPTIMAL" and solver.wall_time >= 0.98 * p.max_time_in_seconds
    used = float(solver.deterministic_time)
    if name not in ("OPTIMAL", "FEASIBLE"):
        return Resolved(None, used, stopped)
    assign = [UNASSIGNED] * len(sp.weights)
    for (b, c), lit in v.x.items():
        if solver.boolean_value(lit):
            assign[b] = c
    new_covered = sum(sp.weights[b] for b, c in enumerate(assign) if c != UNASSIGNED)
    if (
        not is_feasible(sp, assign)
        or new_covered < covered
        or objective(sp, assign) >= objective(sp, current)
    ):
        return Resolved(None, used, stopped)
    return Resolved(assign, used, stopped)


def solve_neighbourhood(
    sp: Subproblem, current: list[int], wall_s: float, stats: LnsStats | None = None
) -> list[int] | None:
    """`resolve` with a neighbourhood's work limit; the new assignment when it is strictly
    better, else None."""
    result = resolve(sp, current, LNS_DETERMINISTIC_TIME, wall_s)
    if stats is not None:
        stats.deterministic_time += result.deterministic_time
        stats.stopped_by_deadline |= result.stopped_by_wall
    return result.assign


def improve_by_lns(
    prep: Prepared,
    block_grappe: dict[int, GrappeKey],
    deadline: float,
    work_limit: float | None = None,
    levels: tuple[tuple[int, int], ...] = LNS_LEVELS,
) -> LnsStats:
    """Re-solve neighbourhoods of grappes exactly, by increasing neighbourhood size
    (`levels`), each level until none of its neighbourhoods changed since it was last tried.

    Stops when every level has converged, when CP-SAT has spent `work_limit` seconds of
    deterministic time (so that a seeded run gives the same result whatever the machine's
    load), or at `deadline` (perf_counter time; `stopped_by_deadline` then says so).
    `block_grappe` (block -> (editor, centre candidate)) is changed in place; coverage never
    decreases and the objective only goes down."""
    stats = LnsStats()
    tried: set[tuple[int, frozenset[tuple[int, GrappeKey | None]]]] = set()
    for level, (max_grappes, max_essms) in enumerate(levels):
        while True:
            if work_limit is not None and stats.deterministic_time >= work_limit:
                return stats
            if time.perf_counter() + LNS_MIN_LEFT_S >= deadline:
                stats.stopped_by_deadline = True
                return stats
            outcome = _one_pass(
                prep,
                block_grappe,
                deadline,
                work_limit,
                (level, max_grappes, max_essms),
                tried,
                stats,
            )
            if outcome == "converged":
                break
    return stats


def _one_pass(
    prep: Prepared,
    block_grappe: dict[int, GrappeKey],
    deadline: float,
    work_limit: float | None,
    level: tuple[int, int, int],
    tried: set[tuple[int, frozenset[tuple[int, GrappeKey | None]]]],
    stats: LnsStats,
) -> str:
    """Try the neighbourhoods of every seed grappe (worst first) until one improves:
    "improved" (the grappes changed), "converged" (none did) or "stopped" (time or work
    limit reached)."""
    number, max_grappes, max_essms = level
    members = grappe_blocks(block_grappe)
    keys = list(members)
    if not keys:
        return "converged"
    for seed in _seed_order(prep, members, keys):
        left = deadline - time.perf_counter()
        if left < LNS_MIN_LEFT_S:
            return "stopped"
        if work_limit is not None and stats.deterministic_time >= work_limit:
            return "stopped"
        ids = _neighbourhood(prep, block_grappe, members, keys, seed, max_grappes, max_essms)
        signature = (number, frozenset((b, block_grappe.get(b)) for b in ids))
        if signature in tried:
            continue
        tried.add(signature)
        stats.tried += 1
        sp = neighbourhood_subproblem(prep, ids)
        current = local_assignment(sp, block_grappe) if sp is not None else None
        if sp is None or current is None or not is_feasible(sp, current):
            stats.skipped += 1
            continue
        before = objective(sp, current)
        better = solve_neighbourhood(sp, current, min(LNS_WALL_S, left), stats)
        if better is None:
            continue
        stats.improved += 1
        stats.gain += before - objective(sp, better)
        write_back(sp, better, block_grappe)
        return "improved"
    return "converged"


def _seed_order(
    prep: Prepared, members: dict[GrappeKey, list[int]], keys: list[GrappeKey]
) -> list[GrappeKey]:
    """Grappes by decreasing mean member distance to their centre (worst first)."""
    mean: dict[GrappeKey, float] = {}
    for k in keys:
        idx = [i for b in members[k] for i in prep.blocks[b].members]
        d = geo.pairwise_km(prep.points[idx], prep.points[[k[1]]])[:, 0]
        mean[k] = float(d.mean())
    return sorted(keys, key=lambda k: (-mean[k], k[0] or "", k[1]))


def _neighbourhood(
    prep: Prepared,
    block_grappe: dict[int, GrappeKey],
    members: dict[GrappeKey, list[int]],
    keys: list[GrappeKey],
    seed: GrappeKey,
    max_grappes: int,
    max_essms: int,
) -> list[int]:
    """Blocks of the seed grappe, of its nearest grappes and the left-out blocks near them."""
    centres = prep.points[[k[1] for k in keys]]
    d = geo.pairwise_km(prep.points[[seed[1]]], centres)[0]
    order = np.lexsort((np.arange(len(keys)), d))
    chosen: list[GrappeKey] = []
    total = 0
    for j in order[: 3 * max_grappes]:
        k = keys[int(j)]
        size = sum(prep.blocks[b].weight for b in members[k])
        if chosen and total + size > max_essms:
            continue
        chosen.append(k)
        total += size
        if len(chosen) >= max_grappes:
            break
    ids = [b for k in chosen for b in members[k]]
    left = [
        b
        for b in prep.blocks
        if b.index not in block_grappe and not b.forced and b.weight <= prep.params.max_size
    ]
    if left:
        anchors = prep.points[[b.members[0] for b in left]]
        near = geo.pairwise_km(anchors, prep.points[[k[1] for k in chosen]]).min(axis=1)
        idx = [i for k in chosen for b in members[k] for i in prep.blocks[b].members]
        reach = float(
            max(
                geo.pairwise_km(prep.points[idx], prep.points[[k[1] for k in chosen]])
                .min(axis=1)
                .max(),
                1.0,
            )
        )
        extra = 0
        for j in np.lexsort((np.arange(len(left)), near)):
            if near[j] > 2 * reach or extra + left[int(j)].weight > LNS_MAX_LEFT_OUT:
                break
            ids.append(left[int(j)].index)
            extra += left[int(j)].weight
    return sorted(ids)
