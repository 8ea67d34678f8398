"""Building blocks: OG chunks, sparse arcs and cuts, the greedy warm start, CP-SAT vs greedy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from solver import SolveParams
from solver.decompose import block_arcs, build_subproblems
from solver.geo import split_compact
from solver.heuristic import greedy, is_feasible, objective
from solver.model import solve_subproblem
from solver.prepare import prepare
from solver.synthetic import generate

PARAMS = SolveParams(max_subproblem_size=120, time_limit_s=10.0)


def regional():
    return generate(4_000, seed=3).regional_scope(400)


def editor_blocks(prep):
    by_editor = defaultdict(list)
    for b in prep.blocks:
        by_editor[b.editor].append(b.index)
    return by_editor


def test_split_compact_makes_fewest_chunks_within_max(make_cluster):
    cands = make_cluster(101, radius_km=30.0)
    prep = prepare(cands, SolveParams(), ())
    chunks = split_compact(prep.points, list(range(101)), 49)
    assert len(chunks) == 3
    assert sorted(i for c in chunks for i in c) == list(range(101))
    assert all(33 <= len(c) <= 49 for c in chunks)


def test_arcs_include_own_members_and_respect_max_distance(make_cluster):
    cands = make_cluster(20) + make_cluster(20, 200.0, 0.0)
    params = SolveParams(max_distance_km=50.0)
    prep = prepare(cands, params, ())
    arcs = block_arcs(prep, [b.index for b in prep.blocks])
    for b in prep.blocks:
        assert set(b.members) <= set(arcs[b.index])
        assert all(
            abs(prep.candidates[c].longitude - prep.candidates[b.members[0]].longitude) < 1.0
            for c in arcs[b.index]
        )
    subs, hopeless = build_subproblems(prep, [b.index for b in prep.blocks], "A")
    assert len(subs) == 2 and hopeless == []


def test_components_are_cut_to_the_maximum_size():
    cands = regional()
    prep = prepare(cands, PARAMS, ())
    for editor, blocks in editor_blocks(prep).items():
        subs, _ = build_subproblems(prep, blocks, editor)
        for sp in subs:
            assert sp.n_candidates <= PARAMS.max_subproblem_size or len(sp.blocks) == 1
            centre_blocks = {sp.centre_block[c] for _, c, _ in sp.arcs}
            assert centre_blocks <= set(range(len(sp.blocks)))


def test_greedy_is_feasible_and_cp_sat_does_at_least_as_well():
    cands = regional()
    prep = prepare(cands, PARAMS, ())
    subs = [
        sp
        for editor, blocks in sorted(editor_blocks(prep).items(), key=lambda kv: kv[0] or "")
        if editor is not None
        for sp in build_subproblems(prep, blocks, editor)[0]
    ]
    subs = sorted(subs, key=lambda sp: -len(sp.arcs))[:3]
    assert subs
    for sp in subs:
        warm = greedy(sp)
        assert is_feasible(sp, warm)
        result = solve_subproblem(replace(sp, budget_s=2.0, wall_limit_s=20.0))
        assert is_feasible(sp, result.assign)
        assert objective(sp, result.assign) == result.objective <= objective(sp, warm)
        assert result.best_bound <= result.objective
