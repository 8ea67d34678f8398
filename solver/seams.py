"""Windows across the sub-problem cuts, re-solved exactly (issue 13).

The sub-problems of `solver.decompose` are cut geographically, and the grappes on either side
of a cut were formed without seeing each other. On one real department (bench/SOLVER.md,
Hérault) the cuts cost 3.6 % of the objective, the sparse arcs 0.15 %; the neighbourhood
search (`solver.lns`, up to 5 grappes) recovers little of it.

This phase takes the current solution's grappes (whole) and its left-out blocks as *units*.
A unit is at a *seam* when one of its `SEAM_NEIGHBOURS` nearest units was solved in another
sub-problem. Around seam units it gathers disjoint *windows* of nearest units, up to
`max_subproblem_size` ESSMS each, and re-solves each window with CP-SAT as one sub-problem:
the sparse arcs of its blocks (`block_arcs`, computed within the window) plus the arcs of the
current assignment, hinted by it, covering at least as many ESSMS (`solver.lns.resolve`).
A window holds whole grappes, so its objective is the whole solution's restricted to it and a
local decrease is a global one; windows are disjoint, so they run in parallel on the solve's
workers and their results compose.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

import numpy as np

from solver import geo
from solver.decompose import Subproblem, arc_cost, block_arcs, make_subproblem
from solver.heuristic import is_feasible, objective
from solver.lns import GrappeKey, Resolved, grappe_blocks, local_assignment, resolve, write_back
from solver.prepare import Prepared
from solver.processes import DyingPool

#: Nearest units looked at to decide whether a unit is at a seam.
SEAM_NEIGHBOURS = 6
#: CP-SAT deterministic time of one window at most, and its least share.
WINDOW_DETERMINISTIC_TIME = 10.0
WINDOW_MIN_DETERMINISTIC_TIME = 1.0
#: Wall-time guard of a window: this factor x its deterministic time (x the solve's seconds
#: per deterministic second) + slack, and never past the phase's deadline.
WINDOW_WALL_FACTOR = 3.0
WINDOW_WALL_SLACK_S = 5.0
#: Windows shorter than this before the deadline are not started (seconds).
WINDOW_MIN_LEFT_S = 0.5
#: Rounds of windows at most (each round's seams are the last round's window borders).
MAX_ROUNDS = 4
#: Seconds between two progress calls while windows run.
TICK_S = 1.0


@dataclass
class SeamStats:
    """What the phase did (bench, tests, progress)."""

    windows: int = 0
    improved: int = 0
    gain: int = 0
    deterministic_time: float = 0.0
    #: A window was stopped by its wall-time guard or not started for lack of time: the
    #: result may then depend on the machine's load.
    stopped_by_deadline: bool = False


@dataclass
class _Unit:
    blocks: list[int]
    point: int  # candidate position: the grappe's centre, or the block's first member
    weight: int
    label: str


def _units(
    prep: Prepared, block_grappe: dict[int, GrappeKey], origin: dict[int, str]
) -> list[_Unit]:
    """Grappes (whole) and left-out blocks that were in a sub-problem (not forced: a block
    locked into a grappe and left out could make a window infeasible)."""
    units = []
    for key, blocks in grappe_blocks(block_grappe).items():
        counts = Counter(origin.get(b, "") for b in blocks)
        label = min(counts, key=lambda lab: (-counts[lab], lab))
        weight = sum(prep.blocks[b].weight for b in blocks)
        units.append(_Unit(blocks, key[1], weight, label))
    for block in prep.blocks:
        if block.index in block_grappe or block.index not in origin or block.forced:
            continue
        units.append(_Unit([block.index], block.members[0], block.weight, origin[block.index]))
    return units


def seam_windows(
    prep: Prepared,
    block_grappe: dict[int, GrappeKey],
    origin: dict[int, str],
    max_essms: int,
) -> list[list[int]]:
    """Disjoint windows (sorted block ids) of whole grappes and left-out blocks, up to
    `max_essms` ESSMS each, around the units at a seam (most foreign neighbours first),
    each holding units of at least two sub-problems (`origin`: block -> its sub-problem,
    or its window in the last round)."""
    units = _units(prep, block_grappe, origin)
    if len(units) < 2:
        return []
    pts = prep.points[[u.point for u in units]]
    labels = np.array([u.label for u in units])
    weights = np.array([u.weight for u in units])
    tree = geo.build_tree(pts)
    _, near = geo.knn(tree, pts, SEAM_NEIGHBOURS + 1)
    foreign = (labels[near] != labels[:, None]).sum(axis=1)
    seeds = [int(j) for j in np.lexsort((np.arange(len(units)), -foreign)) if foreign[j] > 0]
    taken = np.zeros(len(units), dtype=bool)
    windows: list[list[int]] = []
    for s in seeds:
        if taken[s]:
            continue
        d = geo.pairwise_km(pts[[s]], pts)[0]
        d[taken] = np.inf
        chosen: list[int] = []
        total = 0
        for j in np.lexsort((np.arange(len(units)), d)).tolist():
            if taken[j] or total + weights[j] > max_essms:
                break
            chosen.append(j)
            total += int(weights[j])
        if len({labels[j] for j in chosen}) < 2:
            taken[s] = True
            continue
        taken[chosen] = True
        windows.append(sorted(b for j in chosen for b in units[j].blocks))
    return windows


def window_subproblem(
    prep: Prepared, block_ids: list[int], block_grappe: dict[int, GrappeKey], number: int
) -> tuple[Subproblem, list[int]] | None:
    """The window's sub-problem (its own sparse arcs plus the current assignment's) and the
    current assignment in its local indices; None when that assignment is not one of its
    feasible solutions (it then cannot be improved safely)."""
    arcs = block_arcs(prep, block_ids)
    for b in block_ids:
        key = block_grappe.get(b)
        if key is not None and (key[1], key[0]) not in arcs[b]:
            arcs[b][key[1], key[0]] = arc_cost(prep, prep.blocks[b], key[1], key[0])
    sp = make_subproblem(prep, block_ids, arcs, None, number)
    if sp is None:
        return None
    sp.key = f"fenêtre#{number + 1}"
    sp.relative_gap_limit = 0.0
    current = local_assignment(sp, block_grappe)
    if current is None or not is_feasible(sp, current):
        return None
    return sp, current


def improve_seams(
    prep: Prepared,
    block_grappe: dict[int, GrappeKey],
    origin: dict[int, str],
    deadline: float,
    work_limit: float,
    pool: DyingPool | None = None,
    workers: int = 1,
    progress: Callable[[SeamStats], None] | None = None,
    max_essms: int | None = None,
) -> SeamStats:
    """Re-solve seam windows of up to `max_essms` ESSMS (default: `max_subproblem_size`),
    `workers` at once on `pool` (in this process without one), within `work_limit` seconds
    of CP-SAT deterministic time, until `deadline` (perf_counter time). Rounds: the first
    round's seams are the sub-problem cuts (`origin`), each later round's the borders of the
    last round's windows, until a round improves nothing. `block_grappe` is changed in
    place; coverage never decreases and the objective only goes down. `progress` is called
    after each window and every `TICK_S` while windows run: an exception it raises (a
    cancelled job) stops the phase (the caller kills the workers)."""
    stats = SeamStats()
    size = max_essms or prep.params.max_subproblem_size
    labels = dict(origin)
    tried: set[frozenset[tuple[int, GrappeKey | None]]] = set()
    for round_number in range(MAX_ROUNDS):
        left = work_limit - stats.deterministic_time
        if left < WINDOW_MIN_DETERMINISTIC_TIME:
            break
        if deadline - time.perf_counter() < WINDOW_MIN_LEFT_S:
            stats.stopped_by_deadline = True
            break
        windows = seam_windows(prep, block_grappe, labels, size)
        built = []
        for ids in windows:
            if deadline - time.perf_counter() < WINDOW_MIN_LEFT_S:
                # not even built (their arcs take about 20 ms each) past the deadline
                stats.stopped_by_deadline = True
                return stats
            signature = frozenset((b, block_grappe.get(b)) for b in ids)
            if signature in tried:
                continue
            tried.add(signature)
            made = window_subproblem(prep, ids, block_grappe, len(tried) - 1)
            if made is not None:
                built.append(made)
        if not built:
            break
        before = stats.improved
        _run_round(prep, block_grappe, built, deadline, left, pool, workers, stats, progress)
        if stats.improved == before or stats.stopped_by_deadline:
            break
        for sp, _ in built:
            for b in sp.blocks:
                labels[b] = f"{round_number}:{sp.key}"
    return stats


def _run_round(
    prep: Prepared,
    block_grappe: dict[int, GrappeKey],
    built: list[tuple[Subproblem, list[int]]],
    deadline: float,
    work_limit: float,
    pool: DyingPool | None,
    workers: int,
    stats: SeamStats,
    progress: Callable[[SeamStats], None] | None,
) -> None:
    """Solve one round's disjoint windows, sharing `work_limit` between them."""
    share = work_limit / len(built)
    if share < WINDOW_MIN_DETERMINISTIC_TIME:
        built = built[: max(1, int(work_limit / WINDOW_MIN_DETERMINISTIC_TIME))]
        share = work_limit / len(built)
    work = min(WINDOW_DETERMINISTIC_TIME, share)
    seconds_per_work = 1.0 / max(prep.params.deterministic_time_per_s, 1e-9)

    def wall() -> float:
        guard = WINDOW_WALL_FACTOR * work * seconds_per_work + WINDOW_WALL_SLACK_S
        return min(guard, deadline - time.perf_counter())

    def apply(sp: Subproblem, current: list[int], result: Resolved) -> None:
        stats.windows += 1
        stats.deterministic_time += result.deterministic_time
        stats.stopped_by_deadline |= result.stopped_by_wall
        if result.assign is not None:
            stats.improved += 1
            stats.gain += objective(sp, current) - objective(sp, result.assign)
            write_back(sp, result.assign, block_grappe)
        if progress is not None:
            progress(stats)

    queue = list(built)
    if pool is None or workers <= 1:
        while queue:
            if deadline - time.perf_counter() < WINDOW_MIN_LEFT_S:
                stats.stopped_by_deadline = True
                return
            sp, current = queue.pop(0)
            apply(sp, current, resolve(sp, current, work, wall()))
        return
    running: dict[Future[Resolved], tuple[Subproblem, list[int]]] = {}
    while queue or running:
        while queue and len(running) < workers:
            if deadline - time.perf_counter() < WINDOW_MIN_LEFT_S:
                stats.stopped_by_deadline = True
                queue.clear()
                break
            sp, current = queue.pop(0)
            running[pool.submit(resolve, sp, current, work, wall())] = (sp, current)
        if not running:
            return
        finished, _ = wait(running, timeout=TICK_S, return_when=FIRST_COMPLETED)
        if not finished:
            if time.perf_counter() > deadline + 1.0:
                # past the deadline: the guards failed, the workers are killed
                stats.stopped_by_deadline = True
                pool.terminate()
                return
            if progress is not None:
                progress(stats)
            continue
        # in submission order: the same windows give the same result, whatever the timing
        for fut in sorted(finished, key=lambda f: running[f][0].key):
            sp, current = running.pop(fut)
            apply(sp, current, fut.result())
