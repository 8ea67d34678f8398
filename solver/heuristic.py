"""Fast greedy warm start for one sub-problem (given to CP-SAT with `add_hint`).

Lazy greedy: repeatedly open the centre whose best feasible grappe saves the most objective
(penalties avoided minus distances), filling it with the cheapest blocks per ESSMS up to the
maximum size; then insert left-out blocks where they still pay, and move blocks to cheaper
open centres while the grappe they leave keeps its minimum.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict

import numpy as np

from solver import geo
from solver.decompose import Subproblem
from solver.prepare import Prepared

UNASSIGNED = -1


def objective(sp: Subproblem, assign: list[int]) -> int:
    """Objective of an assignment (block -> local centre or -1), as in the CP-SAT model."""
    cost = {(b, c): k for b, c, k in sp.arcs}
    total = 0
    grappes: dict[int, list[int]] = defaultdict(list)
    for b, c in enumerate(assign):
        if c == UNASSIGNED:
            total += sp.penalties[b]
        else:
            total += cost[(b, c)]
            grappes[c].append(b)
    for members in grappes.values():
        if any(sp.capable[b] for b in members):
            total -= sp.carrier_bonus
    return total


def is_feasible(sp: Subproblem, assign: list[int]) -> bool:
    """Check an assignment against the sub-problem's hard rules."""
    cost = {(b, c) for b, c, _ in sp.arcs}
    size: dict[int, int] = defaultdict(int)
    for b, c in enumerate(assign):
        if c == UNASSIGNED:
            if sp.forced[b]:
                return False
            continue
        if (b, c) not in cost:
            return False
        size[c] += sp.weights[b]
    for c, s in size.items():
        if assign[sp.centre_block[c]] != c or not sp.centre_min[c] <= s <= sp.max_size:
            return False
    return all(assign[a] == UNASSIGNED or assign[a] != assign[b] for a, b in sp.apart)


def greedy(sp: Subproblem) -> list[int]:
    """The better of two greedy constructions, each followed by local search.

    - compact: open first the centre whose nearest blocks reach the minimum size at the lowest
      mean distance (dense areas first), then insert the other blocks where they pay;
    - gain: open first the centre whose fullest grappe saves the most objective.
    """
    best: list[int] | None = None
    best_obj = 0
    for compact in (True, False):
        assign = _greedy(sp, compact)
        if not is_feasible(sp, assign):
            continue
        obj = objective(sp, assign)
        if best is None or obj < best_obj:
            best, best_obj = assign, obj
    return best if best is not None else _greedy(sp, True)


def _greedy(sp: Subproblem, compact: bool) -> list[int]:
    nb = len(sp.weights)
    by_centre: dict[int, list[tuple[float, int, int]]] = defaultdict(list)
    by_block: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for b, c, k in sp.arcs:
        by_centre[c].append((k / sp.weights[b], b, k))
        by_block[b].append((k, c))
    for lst in by_centre.values():
        lst.sort()
    for options in by_block.values():
        options.sort()
    apart: dict[int, set[int]] = defaultdict(set)
    for a, b in sp.apart:
        apart[a].add(b)
        apart[b].add(a)
    assign = [UNASSIGNED] * nb

    def evaluate(c: int) -> tuple[float, list[int]] | None:
        """Score (lower is better) and blocks of the grappe centre c would take now."""
        own = sp.centre_block[c]
        if assign[own] != UNASSIGNED:
            return None
        own_cost = next(k for _, b, k in by_centre[c] if b == own)
        take, total, gain = [own], sp.weights[own], sp.penalties[own] - own_cost
        dist = own_cost
        banned = set(apart[own])
        for _, b, k in by_centre[c]:
            if compact and total >= sp.centre_min[c]:
                break
            if b == own or assign[b] != UNASSIGNED or b in banned:
                continue
            if total + sp.weights[b] > sp.max_size:
                continue
            if sp.penalties[b] - k <= 0 and not sp.forced[b] and total >= sp.centre_min[c]:
                continue
            take.append(b)
            total += sp.weights[b]
            gain += sp.penalties[b] - k
            dist += k
            banned |= apart[b]
        if total < sp.centre_min[c]:
            return None
        if any(sp.capable[b] for b in take):
            gain += sp.carrier_bonus
        if gain <= 0:
            return None
        return (dist / total if compact else -gain), take

    heap: list[tuple[float, int]] = []
    for c in range(len(sp.centres)):
        ev = evaluate(c)
        if ev is not None:
            heap.append((ev[0], c))
    heapq.heapify(heap)
    while heap:
        score, c = heapq.heappop(heap)
        ev = evaluate(c)
        if ev is None:
            continue
        if ev[0] > score and heap and heap[0][0] < ev[0]:
            heapq.heappush(heap, (ev[0], c))
            continue
        for b in ev[1]:
            assign[b] = c
    _improve(sp, assign, by_block, apart)
    return assign


def _improve(
    sp: Subproblem,
    assign: list[int],
    by_block: dict[int, list[tuple[int, int]]],
    apart: dict[int, set[int]],
) -> None:
    """Insert left-out blocks where they pay (forced ones anywhere), then move blocks to
    cheaper open centres while sizes stay within bounds."""
    size: dict[int, int] = defaultdict(int)
    members: dict[int, set[int]] = defaultdict(set)
    for b, c in enumerate(assign):
        if c != UNASSIGNED:
            size[c] += sp.weights[b]
            members[c].add(b)
    is_open = {c for c in size if assign[sp.centre_block[c]] == c}

    def fits(b: int, c: int) -> bool:
        return (
            c in is_open and size[c] + sp.weights[b] <= sp.max_size and not (apart[b] & members[c])
        )

    order = sorted(range(len(assign)), key=lambda b: (not sp.forced[b], -sp.penalties[b], b))
    for b in order:
        if assign[b] != UNASSIGNED:
            continue
        for k, c in by_block[b]:
            if fits(b, c) and (k < sp.penalties[b] or sp.forced[b]):
                assign[b], size[c] = c, size[c] + sp.weights[b]
                members[c].add(b)
                break
    cost = {(b, c): k for b, c, k in sp.arcs}
    centres_of_block: dict[int, list[int]] = defaultdict(list)
    for c, own in enumerate(sp.centre_block):
        centres_of_block[own].append(c)
    for _ in range(MAX_ROUNDS):
        moved = _reassign(sp, assign, by_block, size, members, fits)
        moved |= _recentre(sp, assign, cost, centres_of_block, size, members, is_open)
        if not moved:
            break


MAX_ROUNDS = 8


def _reassign(sp, assign, by_block, size, members, fits) -> bool:
    """Move blocks to a cheaper open centre while the grappe they leave keeps its minimum."""
    moved = False
    for b in range(len(assign)):
        src = assign[b]
        if src == UNASSIGNED or sp.centre_block[src] == b:
            continue
        if size[src] - sp.weights[b] < sp.centre_min[src]:
            continue
        current = next(k for k, c in by_block[b] if c == src)
        for k, c in by_block[b]:
            if k >= current:
                break
            if fits(b, c):
                size[src] -= sp.weights[b]
                members[src].discard(b)
                assign[b], size[c] = c, size[c] + sp.weights[b]
                members[c].add(b)
                moved = True
                break
    return moved


def _recentre(sp, assign, cost, centres_of_block, size, members, is_open) -> bool:
    """Move each grappe's centre to the member that minimises its total distance."""
    moved = False
    for c in sorted(is_open):
        blocks = sorted(members[c])
        current = sum(cost[b, c] for b in blocks)
        best, best_c = current, c
        for own in blocks:
            for c2 in centres_of_block[own]:
                if c2 == c or sp.centre_min[c2] > size[c]:
                    continue
                total = 0
                for b in blocks:
                    k = cost.get((b, c2))
                    if k is None:
                        break
                    total += k
                else:
                    if total < best:
                        best, best_c = total, c2
        if best_c != c:
            for b in blocks:
                assign[b] = best_c
            members[best_c], size[best_c] = members.pop(c), size.pop(c)
            is_open.discard(c)
            is_open.add(best_c)
            moved = True
    return moved


#: Nearest grappes (by centre) a block may move to in the whole-solution improvement.
RELOCATE_LOOKUP = 12


def improve_solution(
    prep: Prepared, block_grappe: dict[int, tuple[str | None, int]], deadline: float
) -> int:
    """Improvement of the whole solution across sub-problem cuts, until `deadline`
    (perf_counter time): move a block to the grappe (same editor rule) whose centre is
    cheaper for it, while its grappe keeps the minimum size and every hard rule holds
    (maximum size, distance limit, reduced minimum, apart locks); then move each grappe's
    centre to the member that minimises its distances. `block_grappe` (block -> (editor,
    centre candidate)) is changed in place; returns the number of moves.

    Coverage never changes (no block leaves or joins the solution): only distances and
    preference penalties go down.
    """
    params = prep.params
    max_d = params.max_distance_km
    blocks = prep.blocks
    apart: dict[int, set[int]] = defaultdict(set)
    for one, other in prep.apart_pairs:
        apart[one].add(other)
        apart[other].add(one)
    moves = 0
    for _ in range(MAX_ROUNDS):
        if time.perf_counter() > deadline:
            break
        members: dict[tuple[str | None, int], list[int]] = defaultdict(list)
        for b, key in block_grappe.items():
            members[key].append(b)
        keys = sorted(members, key=lambda k: (k[0] or "", k[1]))
        if len(keys) < 2:
            break
        size = {k: sum(blocks[b].weight for b in members[k]) for k in keys}
        people = {k: {i for b in members[k] for i in blocks[b].members} for k in keys}
        centres = np.array([k[1] for k in keys])
        tree = geo.build_tree(prep.points[centres])
        moved = 0
        for b in sorted(block_grappe):
            if time.perf_counter() > deadline:
                break
            block = blocks[b]
            src = block_grappe[b]
            if block.key is not None or src[1] in block.members:
                continue
            minimum = params.min_size_overseas if prep.reduced[src[1]] else params.min_size
            if size[src] - block.weight < minimum:
                continue
            pts = prep.points[block.members]
            _, near = geo.knn(tree, pts[:1], min(RELOCATE_LOOKUP, len(keys)))
            options = [src] + [keys[int(j)] for j in near[0] if keys[int(j)] != src]
            d = geo.pairwise_km(pts, prep.points[[k[1] for k in options]])
            cost = params.distance_weight * np.rint(d * 10).astype(np.int64).sum(axis=0)
            best, best_cost = src, None
            for j, k in enumerate(options):
                total = int(cost[j]) + params.preference_penalty * block.unwanted(k[0])
                if j == 0:
                    best_cost = total
                    continue
                if not block.flexible and k[0] != block.editor:
                    continue
                if size[k] + block.weight > params.max_size:
                    continue
                if prep.reduced[k[1]] and not block.reduced:
                    continue
                if max_d is not None and d[:, j].max() > max_d:
                    continue
                if any(apart[i] & people[k] for i in block.members):
                    continue
                if best_cost is not None and total < best_cost:
                    best, best_cost = k, total
            if best != src:
                block_grappe[b] = best
                size[src] -= block.weight
                size[best] += block.weight
                people[src] -= set(block.members)
                people[best] |= set(block.members)
                members[src].remove(b)
                members[best].append(b)
                moved += 1
        moved += _recentre_all(prep, block_grappe, members)
        moves += moved
        if not moved:
            break
    return moves


def _recentre_all(
    prep: Prepared,
    block_grappe: dict[int, tuple[str | None, int]],
    members: dict[tuple[str | None, int], list[int]],
) -> int:
    """Move each grappe's centre to its member of least total distance (within the distance
    limit; a Corsica/overseas member heads only a grappe wholly there)."""
    params = prep.params
    max_d = params.max_distance_km
    moved = 0
    for key, bs in list(members.items()):
        if not bs:
            continue
        if any(prep.blocks[b].key is not None for b in bs):
            continue
        idx = [i for b in bs for i in prep.blocks[b].members]
        d = geo.pairwise_km(prep.points[idx], prep.points[idx])
        totals = np.rint(d * 10).astype(np.int64).sum(axis=0).astype(float)
        all_reduced = bool(prep.reduced[idx].all())
        totals[prep.reduced[idx].astype(bool) & (not all_reduced)] = np.inf
        if max_d is not None:
            totals[d.max(axis=0) > max_d] = np.inf
        j = int(np.argmin(totals))
        current = idx.index(key[1])
        if not np.isfinite(totals[j]) or totals[j] >= totals[current]:
            continue
        new_key = (key[0], idx[j])
        if members.get(new_key):
            continue
        for b in bs:
            block_grappe[b] = new_key
        members[new_key] = members.pop(key)
        moved += 1
    return moved
