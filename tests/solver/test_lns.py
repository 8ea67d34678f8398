"""Large neighbourhood search (solver.lns): exact re-solve of neighbouring grappes."""

from __future__ import annotations

import random
import time
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Apart, SolveParams, validate
from solver.heuristic import improve_solution, is_feasible
from solver.lns import improve_by_lns, local_assignment, neighbourhood_subproblem
from solver.metrics import objective_of
from solver.prepare import Prepared, prepare
from tests.support.solver import SMALL, as_solution, decomposed_start, random_candidates

#: A guard only: every search here converges long before it.
GUARD_S = 60.0


def sparse_greedy_start(prep: Prepared) -> dict[int, tuple[str | None, int]]:
    """A valid but poor assignment: greedy sub-problems on the 2 nearest centres only."""
    sparse = replace(prep, params=replace(prep.params, k_neighbours=2, max_subproblem_size=8))
    return decomposed_start(sparse, exact=False)[1]


def test_it_swaps_members_across_a_bad_boundary(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """Two clusters of 15, 80 km apart, each grappe at the minimum with 3 members of the
    other cluster: no single move is allowed (a grappe would fall to 14), so the block-by-block
    improvement is stuck; the neighbourhood re-solve swaps them back."""
    west = make_cluster(15, 0.0, 0.0, radius_km=3.0)
    east = make_cluster(15, 80.0, 0.0, radius_km=3.0)
    cands = [*west, *east]
    params = SolveParams(time_limit_s=10.0)
    prep = prepare(cands, params, ())
    swapped = {0, 1, 2, 15, 16, 17}
    block_grappe: dict[int, tuple[str | None, int]] = {}
    for b in prep.blocks:
        i = b.members[0]
        in_west = (i < 15) != (i in swapped)
        block_grappe[b.index] = ("A", 5 if in_west else 20)
    improve_solution(prep, block_grappe, time.perf_counter() + GUARD_S)
    stuck = as_solution(prep, block_grappe)
    assert validate(cands, params, (), stuck) == []

    late = dict(block_grappe)
    stopped = improve_by_lns(prep, late, time.perf_counter())
    assert stopped.stopped_by_deadline and stopped.tried == 0 and late == block_grappe

    stats = improve_by_lns(prep, block_grappe, time.perf_counter() + GUARD_S)

    assert stats.improved >= 1
    assert not stats.stopped_by_deadline
    centre_of = {b: c for b, (_, c) in block_grappe.items()}
    west_centres = {centre_of[prep.block_of[i]] for i in range(15)}
    east_centres = {centre_of[prep.block_of[i]] for i in range(15, 30)}
    assert len(west_centres) == len(east_centres) == 1
    assert west_centres != east_centres
    solution = as_solution(prep, block_grappe)
    assert validate(cands, params, (), solution) == []
    assert solution.coverage == 1.0
    assert objective_of(cands, params, solution) < objective_of(cands, params, stuck)


def test_a_grappe_centred_on_an_essms_without_dui_is_understood(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """The repairs and the recentring make grappes of editor A centred on an ESSMS without DUI:
    the neighbourhood model has that centre (editor A), so the current assignment is its
    hint and is feasible there."""
    bound = make_cluster(14, 0.0, 0.0, radius_km=3.0)
    flexible = make_cluster(1, 0.2, 0.1, radius_km=0.1, editor=None, dui_status="aucun")
    cands = [*bound, *flexible]
    params = SolveParams(time_limit_s=10.0)
    prep = prepare(cands, params, ())
    centre = len(bound)  # the ESSMS without DUI
    block_grappe = {b.index: ("A", centre) for b in prep.blocks}
    sp = neighbourhood_subproblem(prep, sorted(block_grappe))
    assert sp is not None
    current = local_assignment(sp, block_grappe)
    assert current is not None and is_feasible(sp, current)
    assert validate(cands, params, (), as_solution(prep, block_grappe)) == []


def test_an_apart_lock_holds_when_breaking_it_would_be_cheaper(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """A and B are both in the west cluster but must stay apart: B sits in the east grappe,
    80 km away. Bringing it home would save the most distance; the search must not."""
    west = make_cluster(16, 0.0, 0.0, radius_km=3.0)
    east = make_cluster(15, 80.0, 0.0, radius_km=3.0)
    cands = [*west, *east]
    locks = (Apart(west[0].finess_et, west[1].finess_et),)
    params = SolveParams(time_limit_s=10.0)
    prep = prepare(cands, params, locks)
    block_grappe: dict[int, tuple[str | None, int]] = {}
    for b in prep.blocks:
        i = b.members[0]
        block_grappe[b.index] = ("A", 20 if i >= 16 or i == 1 else 5)
    assert validate(cands, params, locks, as_solution(prep, block_grappe)) == []

    improve_by_lns(prep, block_grappe, time.perf_counter() + GUARD_S)

    solution = as_solution(prep, block_grappe)
    assert validate(cands, params, locks, solution) == []
    assert solution.coverage == 1.0
    grappe_of = {m.finess_et: g.key for g in solution.grappes for m in g.members}
    assert grappe_of[west[0].finess_et] != grappe_of[west[1].finess_et]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(6, 40),
    max_km=st.sampled_from([None, 40.0]),
    og_together=st.booleans(),
)
def test_it_never_worsens_the_objective_nor_the_coverage(
    seed: int, n: int, max_km: float | None, og_together: bool
) -> None:
    """From a valid greedy start on sparse arcs, the search keeps every hard rule, never
    lowers the coverage and never raises the objective."""
    rng = random.Random(seed)
    cands = random_candidates(rng, n)
    params = replace(SMALL, max_distance_km=max_km, keep_og_together=og_together)
    prep = prepare(cands, params, ())
    block_grappe = sparse_greedy_start(prep)
    before = as_solution(prep, block_grappe)
    assert validate(cands, params, (), before) == []

    stats = improve_by_lns(prep, block_grappe, time.perf_counter() + GUARD_S)

    after = as_solution(prep, block_grappe)
    assert validate(cands, params, (), after) == []
    assert after.coverage >= before.coverage
    # the assembly may still move a centre to its grappe's medoid: compare finished grappes
    assert objective_of(cands, params, after) <= objective_of(cands, params, before)
    assert stats.gain >= 0
    assert not stats.stopped_by_deadline


def test_the_work_limit_stops_it_the_same_way_every_time() -> None:
    """A deterministic work limit (not the wall clock) ends the search: the same instance
    gives the same assignment twice."""
    cands = random_candidates(random.Random(3), 60)
    params = replace(SMALL, max_size=8)
    prep = prepare(cands, params, ())
    start = sparse_greedy_start(prep)
    first, second = dict(start), dict(start)
    one = improve_by_lns(prep, first, time.perf_counter() + GUARD_S, work_limit=0.05)
    two = improve_by_lns(prep, second, time.perf_counter() + GUARD_S, work_limit=0.05)
    assert first == second
    assert one.tried == two.tried
