"""Building blocks: OG chunks, sparse arcs and cuts, the greedy warm start, CP-SAT vs greedy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from solver import Candidate, SolveParams
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
        assert set(b.members) <= {c for c, _editor in arcs[b.index]}
        assert all(
            abs(prep.candidates[c].longitude - prep.candidates[b.members[0]].longitude) < 1.0
            for c, _editor in arcs[b.index]
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


def test_an_essms_without_dui_may_head_the_grappe_of_a_bound_neighbour() -> None:
    """A bound block reaches its nearest ESSMS without DUI as the centre of a grappe of its
    own editor; that ESSMS's block reaches the same grappe (it is its first member), and an
    open grappe too; a block bound to another editor never joins it."""
    base = {"department": "69", "og_size": 1, "champ": "PH"}
    cands = [
        Candidate(
            "690000001", "691000001", 45.75, 4.85, dui_status="reference_segur", editor="A", **base
        ),
        Candidate("690000002", "691000002", 45.76, 4.86, dui_status="aucun", editor=None, **base),
        Candidate(
            "690000003", "691000003", 45.77, 4.87, dui_status="reference_segur", editor="B", **base
        ),
    ]
    prep = prepare(cands, SolveParams(min_size=2, min_size_overseas=2), ())
    arcs = block_arcs(prep, [b.index for b in prep.blocks])
    bound_a, flexible, bound_b = (prep.blocks[prep.block_of[i]] for i in range(3))
    assert (1, "A") in arcs[bound_a.index] and (1, "B") in arcs[bound_b.index]
    assert {(1, None), (1, "A"), (1, "B")} <= set(arcs[flexible.index])
    assert all(e == "A" for _c, e in arcs[bound_a.index])
    subs, _ = build_subproblems(prep, [b.index for b in prep.blocks])
    (sp,) = subs
    heads = [e for c, e in zip(sp.centres, sp.centre_editor, strict=True) if c == 1]
    assert heads == [None, "A", "B"]
