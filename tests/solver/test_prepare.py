"""solver.prepare: OG blocks, editor rules, priorities, input errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver import Apart, MustJoin, SolveParams, Together
from solver.prepare import UnionFind, prepare

PARAMS = SolveParams(time_limit_s=5.0)


def test_union_find_keeps_the_smallest_index_as_root():
    uf = UnionFind(5)
    uf.union(3, 4)
    uf.union(4, 1)
    assert uf.find(3) == 1
    assert uf.groups([0, 1, 3, 4]) == {0: [0], 1: [1, 3, 4]}


def test_og_essms_sharing_an_editor_form_one_block(make_cluster):
    og = make_cluster(3, editor="A", finess_ej="EJ0000001", og_size=3)
    other = make_cluster(2, 20.0, 0.0, editor="A")
    prep = prepare(og + other, PARAMS, ())
    blocks = sorted(sorted(b.members) for b in prep.blocks)
    assert blocks == [[0, 1, 2], [3], [4]]
    assert all(b.editor == "A" and not b.flexible for b in prep.blocks)


def test_og_together_can_be_switched_off(make_cluster):
    og = make_cluster(3, editor="A", finess_ej="EJ0000001", og_size=3)
    prep = prepare(og, replace(PARAMS, keep_og_together=False), ())
    assert len(prep.blocks) == 3


def test_essms_without_dui_follow_their_og_editor(make_candidate):
    bound = make_candidate(editor="A", finess_ej="EJ0000001", og_size=2)
    follower = make_candidate(1.0, 0.0, editor=None, dui_status="aucun", finess_ej="EJ0000001")
    prep = prepare([bound, follower], PARAMS, ())
    (block,) = prep.blocks
    assert block.members == [0, 1] and block.editor == "A"


def test_preferred_editor_is_a_soft_preference_of_a_flexible_block(make_candidate):
    prefers = make_candidate(editor="B", dui_status="aucun")
    prep = prepare([prefers], PARAMS, ())
    (block,) = prep.blocks
    assert block.flexible and block.editor is None
    assert block.preferences == {"B": 1}
    assert prep.bound_editor == [None]


def test_followers_do_not_push_an_og_over_the_maximum(make_cluster):
    """45 ESSMS with DUI + 10 without of one OG: the 45 stay together, the 10 are free."""
    bound = make_cluster(45, editor="A", finess_ej="EJ0000009", og_size=55)
    free = make_cluster(
        10, 5.0, 0.0, editor=None, dui_status="aucun", finess_ej="EJ0000009", og_size=55
    )
    prep = prepare(bound + free, PARAMS, ())
    sizes = sorted((b.weight, b.flexible) for b in prep.blocks)
    assert sizes == [(10, True), (45, False)]


def test_priorities_weight_small_and_isolated_og(make_cluster, make_candidate):
    cluster = make_cluster(20, editor="A", og_size=20)
    lonely = make_candidate(300.0, 0.0, editor="A", og_size=1)
    prep = prepare([*cluster, lonely], PARAMS, ())
    assert not prep.small_og[0] and not prep.isolated[0]
    assert prep.small_og[20] and prep.isolated[20]
    assert prep.priority[0] == PARAMS.uncovered_penalty
    assert prep.priority[20] == (
        PARAMS.uncovered_penalty + PARAMS.small_og_bonus + PARAMS.isolation_bonus
    )


def test_bad_input_is_explained_not_raised(make_candidate):
    nowhere = replace(make_candidate(), latitude=float("nan"))
    unknown = make_candidate(1.0, 0.0, dui_status="peut-être")
    no_editor = make_candidate(2.0, 0.0, editor=None, dui_status="reference_segur")
    prep = prepare([nowhere, unknown, no_editor], PARAMS, ())
    codes = {i: e.reason_code for i, e in prep.exclusions.items()}
    assert codes == {0: "invalid_input", 1: "invalid_input", 2: "unknown_editor"}
    assert prep.blocks == []


def test_duplicate_finess_is_an_error(make_candidate):
    c = make_candidate()
    with pytest.raises(ValueError, match="en double"):
        prepare([c, c], PARAMS, ())


def test_oversize_og_is_split_or_excluded_by_policy(make_cluster):
    og = make_cluster(60, editor="A", finess_ej="EJ0000007", og_size=60, radius_km=20.0)
    split = prepare(og, PARAMS, ())
    assert sorted(b.weight for b in split.blocks) == [30, 30]
    excluded = prepare(og, replace(PARAMS, oversize_og_policy="exclude"), ())
    assert excluded.blocks == []
    assert {e.reason_code for e in excluded.exclusions.values()} == {"og_too_large"}


def test_a_together_lock_joins_blocks_and_takes_the_editor_of_the_bound_one(make_candidate):
    bound = make_candidate(editor="A")
    flexible = make_candidate(1.0, 0.0, editor=None, dui_status="aucun")
    prep = prepare([bound, flexible], PARAMS, (Together(bound.finess_et, flexible.finess_et),))
    (block,) = prep.blocks
    assert block.members == [0, 1] and block.editor == "A" and not block.flexible


def test_a_must_join_lock_forces_its_block_under_the_grappe_key(make_candidate):
    one, two = make_candidate(editor="A"), make_candidate(5.0, 0.0, editor="A")
    locks = (MustJoin(one.finess_et, "G1"), MustJoin(two.finess_et, "G1"))
    (block,) = prepare([one, two], PARAMS, locks).blocks
    assert block.members == [0, 1] and block.key == "G1" and block.forced


@pytest.mark.parametrize(
    ("locks", "why"),
    [
        (lambda a, b: (Together(a, b),), "éditeurs incompatibles"),
        (lambda a, b: (MustJoin(a, "G1"), MustJoin(b, "G2"), Together(a, b)), "deux grappes"),
        (lambda a, b: (Together(a, b), Apart(a, b)), "« séparés » et « ensemble »"),
    ],
    ids=["two-editors", "two-keys", "apart-and-together"],
)
def test_contradictory_locks_exclude_their_essms_with_the_reason(make_candidate, locks, why):
    a = make_candidate(editor="A")
    b = make_candidate(1.0, 0.0, editor="B" if why == "éditeurs incompatibles" else "A")
    prep = prepare([a, b], PARAMS, locks(a.finess_et, b.finess_et))
    assert prep.blocks == []
    assert {e.reason_code for e in prep.exclusions.values()} == {"lock_conflict"}
    assert all(why in e.reason for e in prep.exclusions.values())


def test_a_together_group_larger_than_the_maximum_is_excluded(make_cluster):
    cands = make_cluster(6, editor="A")
    ties = tuple(Together(cands[0].finess_et, c.finess_et) for c in cands[1:])
    prep = prepare(cands, replace(PARAMS, min_size_overseas=2, min_size=3, max_size=5), ties)
    assert prep.blocks == []
    assert all("le groupe imposé compte 6 ESSMS" in e.reason for e in prep.exclusions.values())
