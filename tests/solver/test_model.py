"""solver.model: a sub-problem whose locks cannot hold is solved again without them, and says so
in a flag of its own (its status stays a CP-SAT status name)."""

from __future__ import annotations

from solver.decompose import Subproblem
from solver.model import solve_subproblem


def subproblem(n: int, forced: list[bool], minimum: int) -> Subproblem:
    """n single ESSMS on a line, 10 (tenths of km) apart, each one a possible centre."""
    return Subproblem(
        key="test#1",
        editor="A",
        blocks=list(range(n)),
        centre_editor=["A"] * n,
        weights=[1] * n,
        penalties=[1000] * n,
        forced=forced,
        capable=[False] * n,
        centres=list(range(n)),
        centre_block=list(range(n)),
        centre_min=[minimum] * n,
        arcs=[(b, c, 10 * abs(b - c)) for b in range(n) for c in range(n)],
        apart=[],
        max_size=n,
        carrier_bonus=0,
        n_candidates=n,
        seed=1,
    )


def test_impossible_lock_is_relaxed_and_flagged():
    # ESSMS 0 must join a grappe, but two ESSMS cannot reach the minimum of three
    result = solve_subproblem(subproblem(2, [True, False], minimum=3))
    assert result.locks_relaxed
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert result.assign == [-1, -1]


def test_possible_lock_is_kept():
    result = solve_subproblem(subproblem(3, [True, False, False], minimum=3))
    assert not result.locks_relaxed
    assert result.status == "OPTIMAL"
    assert -1 not in result.assign
