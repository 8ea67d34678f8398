"""solver.heuristic: the greedy warm start on hand-built sub-problems."""

from __future__ import annotations

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
