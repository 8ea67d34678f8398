"""Tiny instances whose optimum is known by brute force; randomised instances validated;
determinism with a seed."""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Candidate, SolveParams, solve, validate
from solver.geo import haversine_km
from solver.io import solution_to_dict
from solver.metrics import objective_of
from solver.prepare import prepare
from tests.support.solver import SMALL, random_candidates

#: SMALL's rules with grappes of at most 4 (the brute force stays small), 20 nearest centres
#: (every one on these sizes), solved exactly.
TINY = replace(SMALL, max_size=4, k_neighbours=20, relative_gap_limit=0.0)


def brute_force(cands: list[Candidate], params: SolveParams) -> int:
    """Minimum objective over every partition of the candidates into grappes / left out,
    under the solver's rules: an OG's ESSMS of one editor (and the ESSMS without DUI that
    follow them) stay together, one editor per grappe (ESSMS without DUI of no such OG take
    any), sizes, distance limit, the centre being a member."""
    prep = prepare(cands, params, ())
    n = len(cands)
    best = None
    labels = [0] * n
    editor_of: list[str | None] = [None] * n
    for block in prep.blocks:
        for i in block.members:
            editor_of[i] = None if block.flexible else block.editor

    def cost_of_group(members: list[int]) -> int | None:
        editors = {editor_of[i] for i in members} - {None}
        if len(editors) > 1 or not params.min_size <= len(members) <= params.max_size:
            return None
        if not editors and not params.allow_open_grappes:
            return None
        best_centre = None
        for c in members:
            if params.max_distance_km is not None and any(
                haversine_km(
                    cands[i].latitude, cands[i].longitude, cands[c].latitude, cands[c].longitude
                )
                > params.max_distance_km
                for i in members
            ):
                continue
            total = sum(
                round(
                    haversine_km(
                        cands[i].latitude,
                        cands[i].longitude,
                        cands[c].latitude,
                        cands[c].longitude,
                    )
                    * 10
                )
                for i in members
            )
            best_centre = total if best_centre is None else min(best_centre, total)
        if best_centre is None:
            return None
        capable = any(cands[i].willing_carrier or not prep.small_og[i] for i in members)
        return best_centre - (params.carrier_bonus if capable else 0)  # type: ignore[operator]

    def blocks_together() -> bool:
        return all(len({labels[i] for i in block.members}) == 1 for block in prep.blocks)

    def evaluate() -> None:
        nonlocal best
        groups: dict[int, list[int]] = {}
        total = 0
        for i, lab in enumerate(labels):
            if lab == 0:
                total += int(prep.priority[i])
            else:
                groups.setdefault(lab, []).append(i)
        if not blocks_together():
            return
        for members in groups.values():
            cost = cost_of_group(members)
            if cost is None:
                return
            total += cost
        best = total if best is None else min(best, total)

    def rec(i: int, used: int) -> None:
        if i == n:
            evaluate()
            return
        for lab in range(used + 2):
            labels[i] = lab
            rec(i + 1, max(used, lab))

    rec(0, 0)
    return best  # type: ignore[return-value]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 8),
    max_km=st.sampled_from([None, 30.0]),
    editors_known=st.booleans(),
)
def test_the_solver_finds_the_exact_optimum_of_tiny_instances(
    seed: int, n: int, max_km: float | None, editors_known: bool
) -> None:
    """Random tiny instances (OG blocks, ESSMS without DUI whose editor the model chooses,
    carriers, distance limit): the solver's objective is the brute-force optimum."""
    rng = random.Random(seed)
    cands = random_candidates(rng, n)
    if editors_known:
        cands = [replace(c, dui_status="reference_segur", editor=c.editor or "A") for c in cands]
    params = replace(TINY, max_distance_km=max_km)
    solution = solve(cands, params)
    assert validate(cands, params, (), solution) == []
    assert objective_of(cands, params, solution) == brute_force(cands, params)


def test_an_essms_without_dui_may_head_a_grappe_of_bound_essms() -> None:
    """Three ESSMS bound to editor B are more than 30 km apart, but all within 30 km of an
    ESSMS without DUI: the only grappe the distance limit allows is centred on it. It used to
    be missed and all five ESSMS were left out as « trop dispersés »."""
    flexible = {"dui_status": "aucun", "editor": None}
    bound = {"dui_status": "reference_segur", "editor": "B"}
    places = [
        (46.054, 5.412, bound),
        (45.317, 4.867, flexible),
        (46.044, 4.877, bound),
        (46.035, 5.046, flexible),
        (46.116, 4.374, bound),
    ]
    cands = [
        Candidate(
            finess_et=f"69000000{k}",
            finess_ej=f"69100000{k}",
            latitude=lat,
            longitude=lon,
            department="69",
            og_size=1,
            champ="PH",
            **kind,  # type: ignore[arg-type]
        )
        for k, (lat, lon, kind) in enumerate(places)
    ]
    params = replace(TINY, max_distance_km=30.0)
    solution = solve(cands, params)
    assert validate(cands, params, (), solution) == []
    assert [sorted(m.finess_et for m in g.members) for g in solution.grappes] == [
        ["690000000", "690000002", "690000003"]
    ]
    assert solution.grappes[0].editor == "B"
    assert solution.grappes[0].centre == "690000003"
    assert objective_of(cands, params, solution) == brute_force(cands, params)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(0, 40), og_together=st.booleans())
def test_random_instances_respect_every_rule(seed: int, n: int, og_together: bool) -> None:
    rng = random.Random(seed)
    cands = random_candidates(rng, n)
    params = replace(
        TINY,
        max_size=rng.choice([4, 6]),
        keep_og_together=og_together,
        max_distance_km=rng.choice([None, 40.0]),
        time_limit_s=2.0,
    )
    solution = solve(cands, params)
    assert validate(cands, params, (), solution) == []
    assert len(solution.exclusions) + sum(g.size for g in solution.grappes) == n


def comparable(solution):  # type: ignore[no-untyped-def]
    data = solution_to_dict(solution)
    data.pop("wall_time_s")
    for s in data["subproblems"]:
        s.pop("wall_time_s")
    data.pop("params")
    return data


def test_same_seed_same_result() -> None:
    """Budgets are CP-SAT deterministic time: a short, time-limited run repeats exactly."""
    rng = random.Random(7)
    cands = random_candidates(rng, 60)
    params = replace(
        TINY, max_size=8, random_seed=3, time_limit_s=60.0, subproblem_time_limit_s=0.3
    )
    first, second = solve(cands, params), solve(cands, params)
    if not (first.cut_short or second.cut_short):  # a wall-time guard voids the promise
        assert comparable(second) == comparable(first)


def test_parallel_workers_give_a_valid_result() -> None:
    rng = random.Random(8)
    cands = random_candidates(rng, 60)
    params = replace(TINY, max_size=8, num_workers=2, time_limit_s=1.0, max_subproblem_size=20)
    solution = solve(cands, params)
    assert validate(cands, params, (), solution) == []
    assert len(solution.subproblems) >= 2


def test_synthetic_instance_is_reproducible() -> None:
    from solver.synthetic import generate

    a = generate(2_000, seed=5)
    b = generate(2_000, seed=5)
    assert a.candidates == b.candidates
    assert 1_800 <= len(a.candidates) <= 2_300
    assert len({d.code for d in a.departments}) == 101
    statuses = {c.dui_status for c in a.candidates}
    assert statuses == {"aucun", "non_reference", "reference_segur"}
    assert any(c.sons_editor for c in a.candidates)
    assert any(c.willing_carrier for c in a.candidates)
    assert all(len(c.finess_et) == 9 for c in a.candidates)
    assert len({c.finess_et for c in a.candidates}) == len(a.candidates)
    assert np.isfinite([c.latitude for c in a.candidates]).all()
    assert dataclasses.is_dataclass(a.candidates[0])


def _flexible_alone(cands: list[Candidate]) -> list[Candidate]:
    """ESSMS without DUI get an OG of their own (so that no OG rule ties them)."""
    return [
        replace(c, finess_ej=f"EJF{k:06d}") if c.dui_status == "aucun" else c
        for k, c in enumerate(cands)
    ]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 8),
    max_km=st.sampled_from([None, 30.0]),
    og_pairs=st.booleans(),
)
def test_global_bound_never_exceeds_the_exact_optimum(
    seed: int, n: int, max_km: float | None, og_pairs: bool
) -> None:
    """Both global lower bounds (combinatorial, Lagrangian) are <= the brute-force optimum of
    random tiny instances (with the distance limit, OG blocks, flexible ESSMS), the
    Lagrangian is >= the trivial bound (every possible grappe with its carrier bonus, no
    distance, no penalty), and the solver's objective is >= the bound it reports."""
    from solver.bound import global_lower_bound

    rng = random.Random(seed)
    cands = random_candidates(rng, n)
    if not og_pairs:
        cands = _flexible_alone(cands)
    params = replace(TINY, max_distance_km=max_km)
    prep = prepare(cands, params, ())
    bound = global_lower_bound(prep)
    optimum = brute_force(cands, params)
    assert bound.combinatorial <= optimum + 1e-6
    assert bound.lagrangian <= optimum + 1e-6
    # the national runs' sparse listing of the arcs (every unlisted arc priced by one item)
    sparse = global_lower_bound(prep, dense_pairs=0)
    assert sparse.lagrangian <= optimum + 1e-6
    assert bound.value == max(bound.combinatorial, bound.lagrangian)
    trivial = -params.carrier_bonus * (n // params.min_size)
    assert bound.lagrangian >= trivial - 1e-6
    solution = solve(cands, params)
    assert validate(cands, params, (), solution) == []
    assert solution.global_bound <= objective_of(cands, params, solution) + 1e-6


def _three_clusters_solved(make_cluster, apart_km: float, radius_km: float):  # type: ignore[no-untyped-def]
    """Three clusters of 15 ESSMS of one editor, `apart_km` apart: solved (one grappe each,
    valid), with the prepared instance and the solution's objective."""
    cands = (
        make_cluster(15, 0.0, 0.0, radius_km=radius_km)
        + make_cluster(15, apart_km, 0.0, radius_km=radius_km)
        + make_cluster(15, 0.0, apart_km, radius_km=radius_km)
    )
    params = SolveParams(time_limit_s=10.0)
    solution = solve(cands, params)
    assert validate(cands, params, (), solution) == []
    assert len(solution.grappes) == 3
    return prepare(cands, params, ()), solution, objective_of(cands, params, solution)


def test_lagrangian_bound_is_close_on_a_clustered_instance(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """Three tight clusters of 15 ESSMS of one editor, 60 km apart: the optimum is one
    grappe per cluster and the Lagrangian bound proves it within 1 % (the combinatorial bound
    is far below: it cannot see that every ESSMS must be covered by a grappe of 15)."""
    from solver.bound import global_lower_bound

    prep, solution, objective = _three_clusters_solved(make_cluster, 60.0, 4.0)
    bound = global_lower_bound(prep)
    assert bound.lagrangian <= objective + 1e-6
    assert bound.lagrangian >= 0.99 * objective
    assert solution.global_gap <= 0.01


def test_sparse_bound_follows_the_density(make_cluster) -> None:  # type: ignore[no-untyped-def]
    """Three sparse clusters of 15 ESSMS (members 18 to 60 km from the cluster's middle),
    400 km apart: the optimum is one grappe per cluster, at about 50 km per member. The
    sparse listing (national runs) must let a block's price reach that: with one listing
    radius of 25 km, prices were capped at 25 km per member and the bound stayed near half
    the optimum (the national gap was 57 %)."""
    from solver.bound import global_lower_bound

    prep, _, objective = _three_clusters_solved(make_cluster, 400.0, 60.0)
    sparse = global_lower_bound(prep, time.perf_counter() + 5.0, objective, dense_pairs=0)
    assert sparse.lagrangian <= objective + 1e-6
    assert sparse.lagrangian >= 0.95 * objective
