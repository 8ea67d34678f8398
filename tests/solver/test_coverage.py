"""Coverage first, the maximum distance as a hard rule, the editor of flexible ESSMS chosen by
the model, truthful explanations (issue 13, points 1 and 2)."""

from __future__ import annotations

import re
from dataclasses import replace

from solver import Candidate, Solution, SolveParams, solve, validate
from solver.geo import haversine_km


def solved(candidates: list[Candidate], params: SolveParams) -> Solution:
    solution = solve(candidates, params)
    assert validate(candidates, params, (), solution) == []
    return solution


def test_distance_alone_never_leaves_an_essms_out(make_cluster, make_candidate, fast_params):
    """An ESSMS 120 km from the only grappe of its editor joins it (it used to be left out
    beyond 60 km): without a distance limit, distance is a preference."""
    cluster = make_cluster(20, editor="A")
    far = make_candidate(120.0, 0.0, editor="A")
    solution = solved([*cluster, far], fast_params)
    assert solution.coverage == 1.0
    assert [g.size for g in solution.grappes] == [21]


def test_max_distance_is_a_hard_rule_and_explained(make_cluster, make_candidate, fast_params):
    cluster = make_cluster(20, editor="A")
    far = make_candidate(120.0, 0.0, editor="A")
    params = replace(fast_params, max_distance_km=50.0)
    solution = solved([*cluster, far], params)
    assert [g.size for g in solution.grappes] == [20]
    (exclusion,) = solution.exclusions
    assert exclusion.finess_et == far.finess_et
    assert exclusion.reason_code == "too_few_peers"
    assert "aucun autre ESSMS de l'éditeur A à moins de 100 km" in exclusion.reason


def test_scattered_editor_forms_a_grappe_across_regions(make_cluster, fast_params):
    """Ten ESSMS in one place and six 400 km away, same editor: one grappe of 16 rather than
    16 ESSMS without funding (inter-regional grappes are accepted)."""
    west = make_cluster(10, -200.0, 0.0, editor="A")
    east = make_cluster(6, 200.0, 0.0, editor="A")
    solution = solved(west + east, fast_params)
    assert [g.size for g in solution.grappes] == [16]


def test_an_editor_group_of_14_pulls_in_a_flexible_neighbour(
    make_cluster, make_candidate, fast_params
):
    """The flexible ESSMS sits among editor B's 40 ESSMS, but B does not need it and A's 14
    do: the model gives it editor A (before, it was fixed to B, the editor dominating its
    neighbours, and A's 14 ESSMS were left out)."""
    a = make_cluster(14, 0.0, 0.0, editor="A", radius_km=2.0)
    b = make_cluster(40, 12.0, 0.0, editor="B", radius_km=4.0)
    flexible = make_candidate(9.0, 0.0, editor=None, dui_status="aucun")
    solution = solved([*a, *b, flexible], fast_params)
    assert solution.coverage == 1.0
    assert [g.size for g in solution.grappes if g.editor == "A"] == [15]
    grappe_a = next(g for g in solution.grappes if g.editor == "A")
    assert flexible.finess_et in {m.finess_et for m in grappe_a.members}


def test_preferred_editor_wins_when_coverage_is_equal(make_cluster, make_candidate, fast_params):
    a = make_cluster(16, -5.0, 0.0, editor="A")
    b = make_cluster(16, 5.0, 0.0, editor="B")
    prefers_b = make_candidate(-4.0, 0.0, editor="B", dui_status="aucun")
    solution = solved([*a, *b, prefers_b], fast_params)
    grappe_b = next(g for g in solution.grappes if g.editor == "B")
    assert prefers_b.finess_et in {m.finess_et for m in grappe_b.members}


def _claims(reason: str) -> tuple[int, str, float] | None:
    """(number of ESSMS claimed, editor, radius) from an explanation."""
    match = re.search(r"aucun autre ESSMS de l'éditeur (\w+) à moins de ([\d,.]+) km", reason)
    if match:
        return 1, match.group(1), float(match.group(2))
    match = re.search(r"seulement (\d+) ESSMS de l'éditeur (\w+) à moins de ([\d,.]+) km", reason)
    if match:
        return int(match.group(1)), match.group(2), float(match.group(3))
    return None


def test_explanations_are_true_of_the_instance(make_cluster, make_candidate, fast_params):
    """« aucun ESSMS du même éditeur à moins de R km » / « seulement N ESSMS » is checked
    against the candidates by brute force."""
    cands = [
        *make_cluster(18, editor="A"),
        *make_cluster(5, 150.0, 0.0, editor="A"),
        make_candidate(-300.0, 10.0, editor="A"),
        *make_cluster(9, 0.0, 200.0, editor="B"),
        make_candidate(0.0, 260.0, editor="B"),
    ]
    params = replace(fast_params, max_distance_km=40.0)
    solution = solved(cands, params)
    checked = 0
    by_id = {c.finess_et: c for c in cands}
    for exclusion in solution.exclusions:
        claim = _claims(exclusion.reason)
        assert claim is not None, exclusion.reason
        count, editor, radius = claim
        me = by_id[exclusion.finess_et]
        within = [
            c
            for c in cands
            if c.editor == editor
            and haversine_km(me.latitude, me.longitude, c.latitude, c.longitude) < radius
        ]
        assert len(within) == count, exclusion.reason
        assert count < params.min_size
        checked += 1
    assert checked == 5 + 1 + 9 + 1


def test_a_run_past_its_deadline_keeps_its_best_solution_and_says_so(make_cluster, fast_params):
    cands = make_cluster(30, editor="A") + make_cluster(20, 40.0, 0.0, editor="B")
    params = replace(fast_params, time_limit_s=0.001)
    solution = solved(cands, params)
    assert solution.cut_short
    assert solution.time_limit_s == 0.001
    assert len(solution.exclusions) + sum(g.size for g in solution.grappes) == len(cands)


def test_time_budget_follows_the_size_of_the_run():
    params = SolveParams()
    assert params.time_limit_s is None
    assert params.effective_time_limit(3000) == 29.0
    assert params.effective_time_limit(35_000) == params.auto_time_max_s
    assert SolveParams(time_limit_s=12.0).effective_time_limit(35_000) == 12.0


def test_a_short_editor_group_pulls_flexible_essms_from_a_grappe_with_slack(
    make_cluster, fast_params
):
    """Ten ESSMS of A, 200 km from editor B's 40 ESSMS and 8 ESSMS without DUI: the arcs
    (k_neighbours=10) never link A to them, so the sub-problems give all 48 to B; the repair
    moves 5 ESSMS without DUI to A (coverage first), and B keeps its minimum."""
    a = make_cluster(10, 0.0, 0.0, editor="A")
    b = make_cluster(40, 200.0, 0.0, editor="B")
    free = make_cluster(8, 200.0, 1.0, editor=None, dui_status="aucun", radius_km=1.0)
    params = replace(fast_params, k_neighbours=10)
    solution = solved(a + b + free, params)
    assert solution.coverage == 1.0
    assert [g.size for g in solution.grappes if g.editor == "A"] == [15]
