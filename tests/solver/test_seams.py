"""Windows across the sub-problem cuts (solver.seams): re-solved exactly, whole grappes."""

from __future__ import annotations

import random
import time
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import SolveParams, solve, validate
from solver.metrics import objective_of
from solver.prepare import prepare
from solver.processes import DyingPool
from solver.seams import improve_seams, seam_windows
from tests.support.solver import SMALL, as_solution, decomposed_start, random_candidates

#: A guard only: every window here is solved long before it.
GUARD_S = 60.0


def three_clusters(make_cluster):  # type: ignore[no-untyped-def]
    """Three clusters of 15 ESSMS of one editor, 40 km apart on a line, cut into two
    sub-problems of at most 30: the cut falls inside the middle cluster."""
    cands = [
        *make_cluster(15, 0.0, 0.0, radius_km=3.0),
        *make_cluster(15, 40.0, 0.0, radius_km=3.0),
        *make_cluster(15, 80.0, 0.0, radius_km=3.0),
    ]
    params = SolveParams(time_limit_s=10.0, max_subproblem_size=30)
    return cands, params, prepare(cands, params, ())


def test_a_window_across_the_cut_rebuilds_the_cluster_it_split(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """Each side of the cut is solved to optimality, yet the middle cluster ends up shared
    by the two outer grappes, 40 km from their centres. One window holding both grappes
    re-solves them together: three grappes, one per cluster."""
    cands, params, prep = three_clusters(make_cluster)
    n_subs, block_grappe, origin = decomposed_start(prep, exact=True)
    assert n_subs == 2
    cut = as_solution(prep, block_grappe)
    assert validate(cands, params, (), cut) == []
    assert cut.coverage == 1.0 and len(cut.grappes) == 2

    windows = seam_windows(prep, block_grappe, origin, 45)
    assert len(windows) == 1 and set(windows[0]) == set(block_grappe)

    stats = improve_seams(
        prep, block_grappe, origin, time.perf_counter() + GUARD_S, 10.0, max_essms=45
    )

    assert stats.improved == 1 and stats.gain > 0 and not stats.stopped_by_deadline
    joined = as_solution(prep, block_grappe)
    assert validate(cands, params, (), joined) == []
    assert joined.coverage == 1.0
    clusters = sorted(sorted(int(m.finess_et[3:]) - 1 for m in g.members) for g in joined.grappes)
    assert clusters == [list(range(0, 15)), list(range(15, 30)), list(range(30, 45))]
    assert objective_of(cands, params, joined) < objective_of(cands, params, cut)


def test_windows_too_small_for_two_grappes_change_nothing(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """A window never splits a grappe: with room for one grappe only, no window holds two
    sub-problems, so none is formed."""
    _cands, _params, prep = three_clusters(make_cluster)
    _, block_grappe, origin = decomposed_start(prep, exact=True)
    before = dict(block_grappe)
    assert seam_windows(prep, block_grappe, origin, 30) == []
    stats = improve_seams(prep, block_grappe, origin, time.perf_counter() + GUARD_S, 10.0)
    assert stats.windows == 0 and block_grappe == before


def test_past_the_deadline_nothing_is_started(make_cluster) -> None:  # type: ignore[no-untyped-def]
    _cands, _params, prep = three_clusters(make_cluster)
    _, block_grappe, origin = decomposed_start(prep, exact=True)
    before = dict(block_grappe)
    stats = improve_seams(prep, block_grappe, origin, time.perf_counter(), 10.0, max_essms=45)
    assert stats.stopped_by_deadline and stats.windows == 0 and block_grappe == before


def test_the_workers_give_what_this_process_gives() -> None:
    """Windows are disjoint and their work limit is deterministic: solved two at a time on
    spawned workers or one after the other here, the result is the same."""
    cands = random_candidates(random.Random(7), 120)
    params = replace(SMALL, max_size=8, max_subproblem_size=20)
    prep = prepare(cands, params, ())
    n_subs, start, origin = decomposed_start(prep, exact=False)
    assert n_subs >= 4
    here, there = dict(start), dict(start)
    alone = improve_seams(prep, here, origin, time.perf_counter() + GUARD_S, 4.0, max_essms=40)
    with DyingPool(2) as pool:
        both = improve_seams(
            prep, there, origin, time.perf_counter() + GUARD_S, 4.0, pool, 2, max_essms=40
        )
    assert alone.windows >= 2 and alone.improved >= 1
    assert here == there
    assert (both.windows, both.improved, both.gain) == (alone.windows, alone.improved, alone.gain)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(10, 60),
    max_km=st.sampled_from([None, 40.0]),
    og_together=st.booleans(),
)
def test_it_never_worsens_the_objective_nor_the_coverage(
    seed: int, n: int, max_km: float | None, og_together: bool
) -> None:
    """From greedy sub-problems cut small, the windows keep every hard rule, never lower
    the coverage and never raise the objective."""
    cands = random_candidates(random.Random(seed), n)
    params = replace(
        SMALL, max_distance_km=max_km, keep_og_together=og_together, max_subproblem_size=12
    )
    prep = prepare(cands, params, ())
    _, block_grappe, origin = decomposed_start(prep, exact=False)
    before = as_solution(prep, block_grappe)
    assert validate(cands, params, (), before) == []

    stats = improve_seams(
        prep, block_grappe, origin, time.perf_counter() + GUARD_S, 2.0, max_essms=30
    )

    after = as_solution(prep, block_grappe)
    assert validate(cands, params, (), after) == []
    assert after.coverage >= before.coverage
    assert objective_of(cands, params, after) <= objective_of(cands, params, before)
    assert stats.gain >= 0 and not stats.stopped_by_deadline


def test_a_solve_cut_into_sub_problems_re_solves_its_seams_on_its_workers() -> None:
    """Through `solve`: sub-problems solved well within their budget, then windows across
    their cuts run on the solve's two workers, and the progress says how many."""
    cands = random_candidates(random.Random(3), 100)
    params = replace(SMALL, max_size=8, max_subproblem_size=20, num_workers=2, time_limit_s=30.0)
    messages: list[str] = []
    solution = solve(cands, params, progress=lambda _f, m: messages.append(m))
    assert validate(cands, params, (), solution) == []
    (done,) = [m for m in messages if m.startswith("Fenêtres entre sous-problèmes re-résolues")]
    windows = int(done.rsplit(" sur ", 1)[1].split()[0])
    assert windows >= 1
