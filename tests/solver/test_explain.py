"""solver.explain: reason codes, French texts and near-misses of ESSMS left out."""

from __future__ import annotations

from dataclasses import replace

from solver import Exclude, solve, validate
from solver.explain import editor_label, explain_uncovered, reach_km
from solver.prepare import prepare


def exclusions(cands, params, locks=()):  # type: ignore[no-untyped-def]
    solution = solve(cands, params, locks)
    assert validate(cands, params, locks, solution) == []
    return {e.finess_et: e for e in solution.exclusions}, solution


def test_editor_label():
    assert editor_label("A") == "l'éditeur A"
    assert editor_label(None) == "un éditeur à choisir"


def test_reach_is_twice_the_distance_limit(make_candidate, fast_params):
    prep = prepare([make_candidate()], replace(fast_params, max_distance_km=30.0), ())
    assert reach_km(prep) == 60.0
    assert reach_km(prepare([make_candidate()], fast_params, ())) is None


def test_too_few_peers_counts_flexible_essms(make_cluster, fast_params):
    fixed = make_cluster(10, editor="A")
    other = make_cluster(3, 1.0, 0.0, editor="B")
    found, _ = exclusions(fixed + other, fast_params)
    reason = found[fixed[0].finess_et]
    assert reason.reason_code == "too_few_peers"
    assert "seulement 10 ESSMS de l'éditeur A dans tout le périmètre du calcul" in reason.reason
    assert reason.near_miss is not None and "il manquerait 5 ESSMS" in reason.near_miss.text


def test_sons_order_is_named(make_cluster, make_candidate, fast_params):
    cands = make_cluster(15, editor="A")
    sons = make_candidate(1.0, 1.0, editor="A", sons_editor="B")
    found, _ = exclusions([*cands, sons], fast_params)
    assert found[sons.finess_et].reason.startswith("SONS commandé pour B")


def test_full_grappe_is_a_near_miss(make_cluster, make_candidate, fast_params):
    """An OG of 49 ESSMS of A fills a grappe; a 50th cannot join it."""
    cands = make_cluster(49, editor="A", radius_km=2.0, finess_ej="EJ0000049", og_size=49)
    late = make_candidate(1.0, 0.5, editor="A")
    params = replace(fast_params, max_distance_km=20.0)
    found, solution = exclusions([*cands, late], params)
    assert [g.size for g in solution.grappes] == [49]
    exclusion = found[late.finess_et]
    assert exclusion.reason_code == "grappe_full"
    assert "est complète (49 ESSMS, maximum 49)" in exclusion.reason


def test_lock_exclusion_keeps_its_reason(make_cluster, fast_params):
    cands = make_cluster(16, editor="A")
    found, _ = exclusions(cands, fast_params, (Exclude(cands[0].finess_et),))
    assert found[cands[0].finess_et].reason_code == "excluded_by_lock"


def test_unsolved_subproblem_is_said(make_cluster, fast_params):
    cands = make_cluster(16, editor="A")
    prep = prepare(cands, fast_params, ())
    out = explain_uncovered(prep, [0], [], {0})
    assert out[0].reason_code == "not_solved"
    assert out[0].reason == "sous-problème non résolu dans le temps imparti"


def test_nothing_left_out_means_nothing_to_explain(make_cluster, fast_params):
    prep = prepare(make_cluster(16, editor="A"), fast_params, ())
    assert explain_uncovered(prep, [], [], set()) == {}


def test_an_isolated_essms_is_told_how_far_it_may_reach(make_cluster, make_candidate, fast_params):
    """Far from the 16 of its editor: too few peers within reach (twice the distance limit)."""
    cands = make_cluster(16, editor="A")
    far = make_candidate(300.0, 0.0, editor="A")
    found, solution = exclusions([*cands, far], replace(fast_params, max_distance_km=30.0))
    assert [g.size for g in solution.grappes] == [16]
    assert found[far.finess_et].reason_code == "too_few_peers"
    assert "60 km" in found[far.finess_et].reason


def test_essms_without_dui_in_other_grappes_still_count_as_peers(
    make_cluster, make_candidate, fast_params
):
    """A lone ESSMS of C beside 16 ESSMS without DUI that sit in B's grappe: C and 14 of them
    would make a valid grappe, so « aucun autre ESSMS de l'éditeur C » (too few peers, a
    claim about the instance) would be false. Seen on real geography: two ESSMS said to be
    without peers were covered by a run with other settings."""
    b = make_cluster(10, editor="B")
    free = make_cluster(16, 1.0, 0.0, editor=None, dui_status="aucun")
    lone = make_candidate(2.0, 0.0, editor="C")
    solution = solve(b + free, fast_params)
    assert [g.editor for g in solution.grappes] == ["B"]
    prep = prepare([*b, *free, lone], fast_params, ())
    found = explain_uncovered(prep, [prep.index[lone.finess_et]], solution.grappes, set())
    exclusion = found[prep.index[lone.finess_et]]
    assert exclusion.reason_code == "not_selected"
    assert exclusion.reason.startswith(
        "1 ESSMS de l'éditeur C et 16 ESSMS sans DUI dans tout le périmètre du calcul, mais"
    )


def test_a_grappe_with_room_beyond_the_radius_is_named(make_cluster, make_candidate, fast_params):
    """An ESSMS of A 5,000 km from the only grappe of A, which has room: joining it costs
    more than leaving it out (2,000 km, + 1,000 for a small OG, + 1,000 when isolated), so it
    is left out. Seen nationally:
    ESSMS overseas whose editor's grappes with room are all on the mainland read « déjà
    dans des grappes complètes ou trop dispersés », which was false."""
    cands = make_cluster(20, editor="A")
    far = make_candidate(5000.0, 0.0, editor="A")
    found, solution = exclusions([*cands, far], fast_params)
    assert [g.size for g in solution.grappes] == [20]
    exclusion = found[far.finess_et]
    assert exclusion.reason_code == "not_selected"
    key = solution.grappes[0].key
    assert exclusion.reason.startswith(f"la grappe {key} (l'éditeur A, à ")
    assert exclusion.reason.endswith(
        "pourrait l'accueillir, mais ce trajet coûte plus que son exclusion"
    )
    assert exclusion.near_miss is not None and exclusion.near_miss.grappe_key == key
    assert exclusion.near_miss.distance_km > 2000


def test_an_essms_without_dui_follows_its_og_in_its_explanation(
    make_cluster, make_candidate, fast_params
):
    """An ESSMS without DUI whose OG's two other ESSMS use editor C follows C (OG together).
    Only three ESSMS of C exist, so the OG is left out. Next to them, B's grappe has room,
    but the ESSMS cannot join it without leaving its OG: « la grappe … pourrait
    l'accueillir, mais ce trajet coûte plus que son exclusion » (seen nationally, at 7.6 km)
    was false. It is told what its OG is told."""
    b = make_cluster(20, editor="B")
    og = {"finess_ej": "EJ0000777", "og_size": 3}
    bound = [make_candidate(2.0, 0.0, editor="C", **og), make_candidate(2.5, 0.0, editor="C", **og)]
    follower = make_candidate(2.0, 0.5, editor=None, dui_status="aucun", **og)
    found, solution = exclusions([*b, *bound, follower], fast_params)
    assert [g.editor for g in solution.grappes] == ["B"]
    told = found[follower.finess_et]
    assert "trajet" not in told.reason
    assert told.reason_code == found[bound[0].finess_et].reason_code == "too_few_peers"
    assert told.reason == found[bound[0].finess_et].reason
    assert told.reason.startswith("seulement 3 ESSMS de l'éditeur C")  # it goes with C
    assert told.near_miss is not None and told.near_miss.relaxed_rule == "OG ensemble"
