"""solver.heuristic: the greedy warm start on hand-built sub-problems."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import replace

import pytest

from solver.decompose import Subproblem
from solver.heuristic import UNASSIGNED, greedy, is_feasible, objective


def subproblem(
    weights: list[int],
    arcs: list[tuple[int, int, int]],
    centre_block: list[int],
    *,
    minimum: int = 3,
    maximum: int = 4,
    penalty: int = 1000,
    apart: list[tuple[int, int]] | None = None,
) -> Subproblem:
    """A sub-problem where centre c belongs to block centre_block[c]."""
    n = len(weights)
    return Subproblem(
        key="test#1",
        editor="A",
        blocks=list(range(n)),
        centre_editor=["A"] * len(centre_block),
        weights=weights,
        penalties=[penalty * w for w in weights],
        forced=[False] * n,
        capable=[False] * n,
        centres=list(range(len(centre_block))),
        centre_block=centre_block,
        centre_min=[minimum] * len(centre_block),
        arcs=arcs,
        apart=apart or [],
        max_size=maximum,
        carrier_bonus=0,
        n_candidates=sum(weights),
    )


def line(n: int) -> list[tuple[int, int, int]]:
    """n single ESSMS on a line, 10 (tenths of km) apart; every ESSMS may be a centre."""
    return [(b, c, 10 * abs(b - c)) for b in range(n) for c in range(n)]


def test_objective_counts_distances_and_penalties():
    sp = subproblem([1, 1, 1, 1], line(4), [0, 1, 2, 3])
    assert objective(sp, [UNASSIGNED] * 4) == 4000
    assert objective(sp, [1, 1, 1, UNASSIGNED]) == 10 + 0 + 10 + 1000


def test_feasibility_checks_sizes_and_open_centres():
    sp = subproblem([1, 1, 1, 1], line(4), [0, 1, 2, 3])
    assert is_feasible(sp, [1, 1, 1, UNASSIGNED])
    assert not is_feasible(sp, [1, 1, UNASSIGNED, UNASSIGNED])  # below the minimum
    assert not is_feasible(sp, [1, 1, 1, 2])  # centre 2 not open (its block is elsewhere)


def test_greedy_covers_everything_it_can():
    sp = subproblem([1] * 8, line(8), list(range(8)))
    assign = greedy(sp)
    assert is_feasible(sp, assign)
    assert UNASSIGNED not in assign
    assert objective(sp, assign) == 2 * (10 + 10 + 20)  # two grappes of 4, centred inside


def test_greedy_leaves_out_what_cannot_reach_the_minimum():
    sp = subproblem([1, 1], line(2), [0, 1])
    assert greedy(sp) == [UNASSIGNED, UNASSIGNED]


def test_greedy_respects_apart_pairs():
    sp = subproblem([1] * 4, line(4), list(range(4)), minimum=2, apart=[(0, 1)])
    assign = greedy(sp)
    assert is_feasible(sp, assign)
    assert assign[0] == UNASSIGNED or assign[0] != assign[1]


def test_greedy_keeps_blocks_whole():
    """A block of 3 and two singles, minimum 4, maximum 4: the block plus one single."""
    arcs = [(0, 0, 0), (1, 0, 10), (2, 0, 50), (1, 1, 0), (2, 1, 40), (0, 1, 30)]
    sp = subproblem([3, 1, 1], arcs, [0, 1], minimum=4)
    assign = greedy(sp)
    assert is_feasible(sp, assign)
    assert assign[0] == assign[1] != UNASSIGNED
    assert assign[2] == UNASSIGNED


def _two_grappes(make_cluster, make_candidate, editor_of_stray: str = "A"):  # type: ignore[no-untyped-def]
    """Grappe west: 16 ESSMS around (0, 0) + a stray ESSMS 2 km from grappe east's centre;
    grappe east: 15 ESSMS around (80 km, 0). Block -> (editor, centre) as a solve would
    hold it, the stray wrongly in the west grappe."""
    from solver import SolveParams
    from solver.prepare import prepare

    west = make_cluster(16, 0.0, 0.0, radius_km=3.0)
    east = make_cluster(15, 80.0, 0.0, radius_km=3.0)
    stray = make_candidate(81.0, 1.5, editor=editor_of_stray)
    cands = [*west, *east, stray]
    params = SolveParams()
    prep = prepare(cands, params, ())
    block_grappe = {}
    for b in prep.blocks:
        i = b.members[0]
        east_side = cands[i] in east
        block_grappe[b.index] = ("A", len(west) if east_side else 0)
    return prep, block_grappe, len(cands) - 1


def test_improvement_moves_a_block_to_a_cheaper_grappe_across_cuts(
    make_cluster, make_candidate
) -> None:  # type: ignore[no-untyped-def]
    import time

    from solver.heuristic import improve_solution

    prep, block_grappe, stray = _two_grappes(make_cluster, make_candidate)
    moves = improve_solution(prep, block_grappe, time.perf_counter() + 30)
    assert moves >= 1
    editor, centre = block_grappe[prep.block_of[stray]]
    assert editor == "A"
    assert prep.candidates[centre].longitude > 5.5  # the east grappe's centre


def test_improvement_never_takes_a_grappe_under_the_minimum(make_cluster, make_candidate) -> None:  # type: ignore[no-untyped-def]
    """With 14 west ESSMS + the stray, the west grappe has exactly the minimum (15): the
    stray stays, however cheaper the east grappe would be for it."""
    import time

    from solver.heuristic import improve_solution

    prep, block_grappe, stray = _two_grappes(make_cluster, make_candidate)
    west = [b for b, key in block_grappe.items() if key[1] == 0 and 0 not in prep.blocks[b].members]
    for b in west[:2]:
        del block_grappe[b]
    improve_solution(prep, block_grappe, time.perf_counter() + 30)
    assert block_grappe[prep.block_of[stray]][0] == "A"
    assert prep.candidates[block_grappe[prep.block_of[stray]][1]].longitude < 5.0
    sizes: dict[tuple[str | None, int], int] = {}
    for b, key in block_grappe.items():
        sizes[key] = sizes.get(key, 0) + prep.blocks[b].weight
    assert sorted(sizes.values()) == [15, 15]


def test_improvement_respects_the_editor_rule(make_cluster, make_candidate) -> None:  # type: ignore[no-untyped-def]
    """A block bound to editor B never moves into a grappe of editor A."""
    import time

    from solver.heuristic import improve_solution

    prep, block_grappe, stray = _two_grappes(make_cluster, make_candidate, editor_of_stray="B")
    improve_solution(prep, block_grappe, time.perf_counter() + 30)
    assert block_grappe[prep.block_of[stray]] == ("A", 0)


def test_feasibility_refuses_a_forced_block_left_out_and_a_missing_arc():
    sp = subproblem([1, 1, 1, 1], line(4), [0, 1, 2, 3])
    forced = replace(sp, forced=[False, False, False, True])
    assert not is_feasible(forced, [1, 1, 1, UNASSIGNED])
    no_arc = replace(sp, arcs=[arc for arc in sp.arcs if arc[:2] != (3, 1)])
    assert not is_feasible(no_arc, [1, 1, 1, 1])


def scattered(seed: int, n: int = 24) -> Subproblem:
    """n blocks of 1 or 2 ESSMS scattered on a 100 x 100 km square, every block a possible
    centre, arcs up to 40 km (tenths of km); minimum 4, maximum 7; a few apart pairs."""
    rng = random.Random(seed)
    points = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(n)]
    arcs = []
    for b, (xb, yb) in enumerate(points):
        for c, (xc, yc) in enumerate(points):
            km = math.hypot(xb - xc, yb - yc)
            if km <= 40:
                arcs.append((b, c, round(10 * km)))
    apart = [(b, b + 1) for b in range(0, n - 1, 7)]
    weights = [rng.choice((1, 1, 2)) for _ in range(n)]
    return subproblem(weights, arcs, list(range(n)), minimum=4, maximum=7, apart=apart)


@pytest.mark.parametrize("seed", range(12))
def test_greedy_ends_in_a_local_optimum_of_its_moves(seed):
    """After the local search, no block can move alone to a cheaper open centre that has
    room (keeping the grappe it leaves at its minimum), and no grappe has a cheaper centre
    among its members: what ``_reassign`` and ``_recentre`` promise."""
    sp = scattered(seed)
    assign = greedy(sp)
    assert is_feasible(sp, assign)
    assert objective(sp, assign) <= objective(sp, [UNASSIGNED] * len(assign))
    cost = {(b, c): k for b, c, k in sp.arcs}
    size: dict[int, int] = defaultdict(int)
    for b, c in enumerate(assign):
        if c != UNASSIGNED:
            size[c] += sp.weights[b]
    apart = {frozenset(pair) for pair in sp.apart}
    for b, src in enumerate(assign):
        if src == UNASSIGNED or sp.centre_block[src] == b:
            continue
        if size[src] - sp.weights[b] < sp.centre_min[src]:
            continue
        for c in size:
            cheaper = (b, c) in cost and cost[b, c] < cost[b, src]
            room = size[c] + sp.weights[b] <= sp.max_size
            together = any(frozenset((b, m)) in apart for m, mc in enumerate(assign) if mc == c)
            assert not (c != src and cheaper and room and not together), (b, src, c)
    for c in size:
        members = [b for b, mc in enumerate(assign) if mc == c]
        current = sum(cost[b, c] for b in members)
        for other in members:
            if all((b, other) in cost for b in members):
                assert sum(cost[b, other] for b in members) >= current, (c, other)


def test_on_a_line_every_block_sits_at_its_nearest_open_centre():
    """Two grappes of 4 on a line; the local search leaves every block at its nearest open
    centre: the objective equals the sum of each block's distance to the nearest centre."""
    sp = subproblem([1] * 8, line(8), list(range(8)), minimum=3, maximum=5)
    assign = greedy(sp)
    assert is_feasible(sp, assign)
    centres = {c for c in assign if c != UNASSIGNED}
    assert all(
        dict(((b, c), k) for b, c, k in sp.arcs)[b, assign[b]]
        == min(10 * abs(b - c) for c in centres)
        for b in range(8)
    )
