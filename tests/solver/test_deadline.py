"""One deadline rules every phase of a solve (issue 17 pt 6, issue 13 pt 4).

The clock is injected: the tests move it, so they prove the logic without timing anything.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from solver import SolveParams, solve, validate
from solver.bound import (
    LAGRANGE_SETUP_RATIO,
    global_lower_bound,
    lagrangian_bound,
    trivial_bound,
)
from solver.core import HEURISTIC_ONLY, Deadline, _GreedyTail, _set_budgets
from solver.decompose import build_subproblems
from solver.prepare import prepare


class ManualClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_deadline_is_read_on_its_clock() -> None:
    clock = ManualClock()
    deadline = Deadline(60.0, clock)
    earlier = deadline.before(6.0)
    assert (deadline.left(), earlier.left(), deadline.passed()) == (60.0, 54.0, False)
    clock.now += 55.0
    assert earlier.passed() and not deadline.passed()
    assert deadline.elapsed() == 55.0
    clock.now += 5.0
    assert deadline.passed() and deadline.left() == 0.0


@pytest.mark.parametrize("workers", [1, 2])
def test_past_the_deadline_sub_problems_get_the_greedy_start_and_repairs_are_skipped(
    make_cluster, fast_params: SolveParams, workers: int
) -> None:
    """The deadline passes during preparation: no CP-SAT is started (in-process or in the
    pool), no repair phase runs, the greedy solution is returned, valid, and cut short."""
    cands = make_cluster(30, editor="A") + make_cluster(20, 40.0, 0.0, editor="B")
    params = replace(fast_params, time_limit_s=30.0, num_workers=workers)
    clock = ManualClock()
    seen: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        seen.append(message)
        if message.startswith("Candidats préparés"):
            clock.now += 31.0

    solution = solve(cands, params, progress=progress, clock=clock)
    assert solution.cut_short
    assert {s.status for s in solution.subproblems} == {HEURISTIC_ONLY}
    assert len(solution.subproblems) == 2
    assert "Limite de temps atteinte : rattachements et regroupements sautés" in seen
    assert not any(m.startswith("ESSMS restants") for m in seen)
    assert solution.wall_time_s == 31.0
    assert validate(cands, params, (), solution) == []
    assert solution.coverage == 1.0  # the greedy start already places these two clusters


def test_sub_problems_not_started_before_the_reserve_get_the_greedy_start_only(
    make_cluster, fast_params: SolveParams
) -> None:
    """The first sub-problem ends after 75 % of the time: the second is not started (of the
    time left before the global bound's 20 %, the last 10 % are kept for the repairs), and
    the solve says it was cut short."""
    cands = make_cluster(30, editor="A") + make_cluster(20, 40.0, 0.0, editor="B")
    params = replace(fast_params, time_limit_s=100.0)
    clock = ManualClock()
    seen: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        seen.append(message)
        if message.startswith("Sous-problème") and clock.now < 1050:
            clock.now += 75.0

    solution = solve(cands, params, progress=progress, clock=clock)
    first, second = (s.status for s in sorted(solution.subproblems, key=lambda s: -s.n_arcs))
    assert first in ("OPTIMAL", "FEASIBLE") and second == HEURISTIC_ONLY
    assert solution.cut_short
    # 5 s were left before the bound's share: the repairs ran
    assert any(m.startswith("ESSMS restants rattachés") for m in seen)
    assert validate(cands, params, (), solution) == []


def test_a_deadline_passing_after_the_sub_problems_skips_the_repairs(
    make_cluster, make_candidate, fast_params: SolveParams
) -> None:
    cands = [*make_cluster(30, editor="A"), make_candidate(300.0, 0.0, editor="A")]
    params = replace(fast_params, time_limit_s=20.0)
    clock = ManualClock()
    seen: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        seen.append(message)
        if message.startswith("Sous-problème"):
            clock.now += 25.0

    solution = solve(cands, params, progress=progress, clock=clock)
    assert solution.cut_short
    assert "Limite de temps atteinte : rattachements et regroupements sautés" in seen
    assert validate(cands, params, (), solution) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_with_time_left_every_sub_problem_gets_cp_sat(
    make_cluster, fast_params: SolveParams, workers: int
) -> None:
    """The clock stands still: the queue's budgets exceed the time left (by the assembly's
    reserve), so the solving process prepares the greedy start of the last sub-problem; CP-SAT
    still gets it, since there is time for it."""
    cands = [
        *make_cluster(30, editor="A"),
        *make_cluster(20, 300.0, 0.0, editor="B"),
        *make_cluster(16, 0.0, 300.0, editor="C"),
    ]
    clock = ManualClock()
    solution = solve(cands, replace(fast_params, num_workers=workers), clock=clock)
    assert not solution.cut_short
    assert solution.wall_time_s == 0.0
    assert len(solution.subproblems) == 3
    assert {s.status for s in solution.subproblems} <= {"OPTIMAL", "FEASIBLE"}


def test_a_sub_problem_claimed_for_the_greedy_start_still_gets_cp_sat_if_time_remains(
    make_cluster, fast_params: SolveParams
) -> None:
    """100 s of CP-SAT budgets for 10 s left: the solving process claims the last
    sub-problem for its greedy start; when a worker is free all the same, it gets it."""
    cands = [
        *make_cluster(30, editor="A"),
        *make_cluster(20, 300.0, 0.0, editor="B"),
        *make_cluster(16, 0.0, 300.0, editor="C"),
    ]
    params = replace(fast_params, num_workers=2, subproblem_time_limit_s=100.0)
    prep = prepare(cands, params, ())
    subs, _ = build_subproblems(prep, [b.index for b in prep.blocks])
    _set_budgets(subs, 100.0, params)
    queue = sorted(subs, key=lambda sp: (-len(sp.arcs), sp.key))
    keys = [sp.key for sp in queue]
    tail = _GreedyTail(queue, Deadline(10.0, ManualClock()), workers=2)
    for _ in range(300):
        if tail.claimed:
            break
        time.sleep(0.1)
    popped = [tail.pop_first() for _ in subs]
    greedy_done = tail.stop()
    assert tail.claimed and keys[-1] in tail.claimed  # the smallest, last in the queue
    # unclaimed ones first, then the claimed ones: every sub-problem goes to CP-SAT
    assert [sp.key for sp in popped if sp is not None] == [
        *(key for key in keys if key not in tail.claimed),
        *(key for key in keys if key in tail.claimed),
    ]
    assert tail.pop_first() is None
    assert set(greedy_done) <= tail.claimed


def test_past_the_deadline_before_the_assembly_explanations_are_cheap_and_the_bound_trivial(
    make_cluster, make_candidate, fast_params: SolveParams
) -> None:
    """The deadline passes as the assembly starts: the left-out ESSMS are still explained
    (reason code and text) but without the near-miss grappe, the global bound is the trivial
    one (no combinatorial, no Lagrangian), and the solve says it was cut short."""
    cands = [*make_cluster(30, editor="A"), make_candidate(1.0, 1.0, editor="B")]
    params = replace(fast_params, time_limit_s=30.0)
    on_time = solve(cands, params, clock=ManualClock())
    assert not on_time.cut_short
    (excluded,) = on_time.exclusions
    assert excluded.near_miss is not None and excluded.near_miss.relaxed_rule == "éditeur unique"
    assert on_time.global_bound > trivial_bound(prepare(cands, params, ())).value

    clock = ManualClock()

    def progress(_fraction: float, message: str) -> None:
        if message == "Calcul de la borne globale":
            clock.now += 31.0

    late = solve(cands, params, progress=progress, clock=clock)
    assert late.cut_short
    assert late.grappes == on_time.grappes
    (excluded,) = late.exclusions
    assert excluded.reason_code == on_time.exclusions[0].reason_code
    assert excluded.near_miss is not None and excluded.near_miss.relaxed_rule == "taille minimale"
    assert late.global_bound == trivial_bound(prepare(cands, params, ())).value
    assert late.global_bound <= late.objective
    assert validate(cands, params, (), late) == []


class TickingClock:
    """A clock that moves one unit at each reading, and counts the readings."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return float(self.reads - 1)


def three_clusters(make_cluster) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Three tight clusters of 15 ESSMS, 60 km apart: the Lagrangian bound beats the
    combinatorial one (tests/solver/test_optimum.py)."""
    return (
        make_cluster(15, 0.0, 0.0, radius_km=4.0)
        + make_cluster(15, 60.0, 0.0, radius_km=4.0)
        + make_cluster(15, 0.0, 60.0, radius_km=4.0)
    )


def test_the_lagrangian_bound_stops_at_its_deadline_inside_its_set_up_and_pricing(
    make_cluster,
) -> None:
    """The Lagrangian reads the clock inside its set-up and between the chunks of every
    pricing: whatever reading the deadline falls on, it stops right there (at most one more
    reading: the restricted LP's time check) and returns a valid bound (-inf when no pricing
    was complete)."""
    cands = three_clusters(make_cluster)
    params = SolveParams(time_limit_s=10.0)
    prep = prepare(cands, params, ())
    objective = solve(cands, params).objective
    whole = TickingClock()
    full = lagrangian_bound(prep, 1e9, objective, clock=whole)
    # the start, its set-up (twice), its LP, at least one pricing
    assert whole.reads >= 5 and np.isfinite(full) and full <= objective + 1e-6
    values = []
    for deadline in range(1, whole.reads):
        clock = TickingClock()
        values.append(lagrangian_bound(prep, float(deadline), objective, clock=clock))
        assert deadline + 1 <= clock.reads <= deadline + 2
        assert values[-1] <= full
    assert values[0] == -np.inf  # stopped inside its set-up: no pricing complete
    assert lagrangian_bound(prep, float(whole.reads), objective, clock=TickingClock()) == full


def test_the_global_bound_past_its_deadline_is_the_combinatorial_or_the_trivial_one(
    make_cluster,
) -> None:
    """Cut inside the combinatorial bound (it reads the clock between its neighbour
    queries): the trivial bound; with less time left than the Lagrangian's set-up needs
    (LAGRANGE_SETUP_RATIO times the combinatorial bound's time): the combinatorial bound,
    the Lagrangian not started; with time: the better Lagrangian."""
    cands = three_clusters(make_cluster)
    params = SolveParams(time_limit_s=10.0)
    prep = prepare(cands, params, ())
    objective = solve(cands, params).objective
    trivial = trivial_bound(prep)
    assert global_lower_bound(prep, 0.0, objective, clock=TickingClock()) == trivial
    whole = TickingClock()
    full = global_lower_bound(prep, 1e9, objective, clock=whole)
    assert trivial.value < full.combinatorial < full.lagrangian <= objective + 1e-6
    # the combinatorial bound's readings: those of a run whose Lagrangian is not started
    comb_only = TickingClock()
    bound = global_lower_bound(prep, 3.0 * 1e3, objective, clock=comb_only)
    assert bound.lagrangian > full.combinatorial  # 3,000 readings: time enough
    comb_reads = None
    for deadline in range(1, 200):
        clock = TickingClock()
        bound = global_lower_bound(prep, float(deadline), objective, clock=clock)
        if bound == trivial:
            assert clock.reads == deadline + 1  # stopped at the reading past the deadline
            continue
        comb_reads = comb_reads or deadline
        assert bound.combinatorial == full.combinatorial
        if bound.lagrangian == -np.inf:
            assert bound.value == full.combinatorial
        else:
            assert deadline - comb_reads >= LAGRANGE_SETUP_RATIO * (comb_reads - 2)
            assert full.combinatorial <= bound.value <= objective + 1e-6
    assert comb_reads is not None and comb_reads > 2


def test_past_the_deadline_the_workers_share_the_greedy_starts_with_the_same_result(
    make_cluster, fast_params: SolveParams
) -> None:
    """The deadline passes during preparation: the greedy starts of the five sub-problems
    are computed by the two workers and the solving process together (`_greedy_everywhere`),
    and give the same grappes as one process computing them all."""
    cands = [
        c
        for k, editor in enumerate("ABCDE")
        for c in make_cluster(16 + k, 300.0 * k, 0.0, editor=editor)
    ]
    solutions = []
    for workers in (1, 2):
        clock = ManualClock()

        def progress(_fraction: float, message: str, clock: ManualClock = clock) -> None:
            if message.startswith("Candidats préparés"):
                clock.now += 31.0

        params = replace(fast_params, time_limit_s=30.0, num_workers=workers)
        solutions.append(solve(cands, params, progress=progress, clock=clock))
        assert validate(cands, params, (), solutions[-1]) == []
    one, two = solutions
    assert len(two.subproblems) == 5
    assert {s.status for s in two.subproblems} == {HEURISTIC_ONLY}
    assert two.grappes == one.grappes and two.cut_short and one.cut_short


@pytest.mark.parametrize(
    "stage", ["Candidats préparés", "sous-problèmes construits", "Calcul de la borne globale"]
)
def test_a_deadline_passing_in_any_phase_gives_a_valid_solution_cut_short(
    make_cluster, make_candidate, fast_params: SolveParams, stage: str
) -> None:
    """The clock jumps past the whole limit after preparation, after decomposition or as the
    assembly starts (two workers): the solve still returns a valid solution, says it was cut
    short, and reads the deadline no more (its wall time is the jump)."""
    cands = [
        *make_cluster(30, editor="A"),
        *make_cluster(20, 40.0, 0.0, editor="B"),
        make_candidate(1.0, 1.0, editor="C"),
    ]
    params = replace(fast_params, time_limit_s=30.0, num_workers=2)
    clock = ManualClock()

    def progress(_fraction: float, message: str) -> None:
        if stage in message and clock.now < 1031.0:
            clock.now += 31.0

    solution = solve(cands, params, progress=progress, clock=clock)
    assert solution.cut_short
    assert solution.wall_time_s == 31.0
    assert validate(cands, params, (), solution) == []
    assert solution.global_bound <= solution.objective
    assert len(solution.exclusions) == 1  # the lone ESSMS of editor C, explained
