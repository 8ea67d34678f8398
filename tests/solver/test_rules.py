"""Programme rules on small hand-made instances; `validate` checks every result."""

from __future__ import annotations

from dataclasses import replace

from solver import Candidate, Solution, SolveParams, solve, validate


def solved(candidates: list[Candidate], params: SolveParams, locks=()) -> Solution:  # type: ignore[no-untyped-def]
    solution = solve(candidates, params, locks)
    assert validate(candidates, params, locks, solution) == []
    return solution


def reasons(solution: Solution) -> dict[str, str]:
    return {e.finess_et: e.reason_code for e in solution.exclusions}


def test_one_dense_cluster_forms_one_grappe(make_cluster, fast_params):
    cands = make_cluster(20, editor="A")
    solution = solved(cands, fast_params)
    assert solution.status == "OPTIMAL"
    assert len(solution.grappes) == 1
    grappe = solution.grappes[0]
    assert grappe.size == 20 and grappe.editor == "A"
    assert grappe.centre in {c.finess_et for c in cands}
    assert grappe.total_km == round(sum(m.distance_km for m in grappe.members), 1)
    assert solution.coverage == 1.0


def test_fourteen_mainland_essms_are_too_few(make_cluster, fast_params):
    cands = make_cluster(14, editor="A")
    solution = solved(cands, fast_params)
    assert solution.grappes == ()
    assert set(reasons(solution).values()) == {"too_few_peers"}
    text = solution.exclusions[0].reason
    assert "seulement 14 ESSMS de l'éditeur A dans tout le périmètre du calcul" in text
    assert solution.exclusions[0].near_miss is not None


def test_overseas_minimum_is_eight(make_cluster, fast_params):
    reunion = make_cluster(8, department="974", origin=(-21.11, 55.53))
    mainland = make_cluster(8, department="69")
    solution = solved(reunion + mainland, fast_params)
    assert [g.size for g in solution.grappes] == [8]
    assert {m.finess_et for m in solution.grappes[0].members} == {c.finess_et for c in reunion}
    assert set(reasons(solution)) == {c.finess_et for c in mainland}


def test_reduced_minimum_departments_is_a_setting(make_cluster, fast_params):
    reunion = make_cluster(8, department="974", origin=(-21.11, 55.53))
    params = replace(fast_params, reduced_minimum_departments=frozenset({"2A", "2B"}))
    assert solved(reunion, params).grappes == ()


def test_sons_order_binds_to_its_editor(make_cluster, make_candidate, fast_params):
    cands = make_cluster(15, editor="A")
    sons = make_candidate(1.0, 1.0, editor="A", sons_editor="B")
    solution = solved([*cands, sons], fast_params)
    assert solution.grappes[0].size == 15
    excl = next(e for e in solution.exclusions if e.finess_et == sons.finess_et)
    assert excl.reason.startswith("SONS commandé pour B : aucune grappe de B à portée")


def test_og_stays_together(make_cluster, fast_params):
    # an OG of 4 ESSMS: 2 in each of two clusters of 14, 600 km apart; the OG stays whole
    # (all four in one grappe) even though splitting it would be cheaper.
    og = {"finess_ej": "EJOG00001", "og_size": 4}
    west = make_cluster(14, -300.0, 0.0, editor="A") + make_cluster(2, -300.0, 2.0, **og)
    east = make_cluster(14, 300.0, 0.0, editor="A") + make_cluster(2, 300.0, 2.0, **og)
    solution = solved(west + east, fast_params)
    og_grappes = {g.key for g in solution.grappes for m in g.members if m.finess_ej == "EJOG00001"}
    assert len(og_grappes) == 1
    assert sum(g.size for g in solution.grappes) == 32


def test_og_may_split_when_setting_off(make_cluster, fast_params):
    og = {"finess_ej": "EJOG00001", "og_size": 4}
    west = make_cluster(14, -300.0, 0.0, editor="A") + make_cluster(2, -300.0, 2.0, **og)
    east = make_cluster(14, 300.0, 0.0, editor="A") + make_cluster(2, 300.0, 2.0, **og)
    params = replace(fast_params, keep_og_together=False)
    solution = solved(west + east, params)
    assert sorted(g.size for g in solution.grappes) == [16, 16]


def test_flexible_without_dui_completes_a_grappe(make_cluster, fast_params):
    fixed = make_cluster(10, editor="A")
    flexible = make_cluster(6, 1.0, 1.0, editor=None, dui_status="aucun")
    solution = solved(fixed + flexible, fast_params)
    assert [(g.editor, g.size) for g in solution.grappes] == [("A", 16)]


def test_preferred_editor_is_a_soft_preference(make_cluster, fast_params):
    """Without a DUI, the preferred editor does not bind: coverage comes first."""
    fixed = make_cluster(10, editor="A")
    prefers_b = make_cluster(6, 1.0, 1.0, editor="B", dui_status="aucun")
    solution = solved(fixed + prefers_b, fast_params)
    assert [(g.editor, g.size) for g in solution.grappes] == [("A", 16)]


def test_flexible_alone_form_an_open_grappe(make_cluster, fast_params):
    flexible = make_cluster(16, editor=None, dui_status="aucun")
    solution = solved(flexible, fast_params)
    assert [(g.editor, g.size) for g in solution.grappes] == [(None, 16)]
    no_open = replace(fast_params, allow_open_grappes=False)
    assert solved(flexible, no_open).grappes == ()


def test_max_size_splits_a_big_cluster(make_cluster, fast_params):
    cands = make_cluster(60, editor="A", radius_km=10.0)
    solution = solved(cands, fast_params)
    assert sum(g.size for g in solution.grappes) == 60
    assert all(15 <= g.size <= 49 for g in solution.grappes)


def test_oversize_og_split_policy(make_cluster, fast_params):
    og = make_cluster(60, editor="A", finess_ej="EJBIG0001", og_size=60, radius_km=20.0)
    solution = solved(og, fast_params)
    assert sum(g.size for g in solution.grappes) == 60
    assert len(solution.grappes) == 2


def test_oversize_og_exclude_policy(make_cluster, fast_params):
    og = make_cluster(60, editor="A", finess_ej="EJBIG0001", og_size=60)
    params = replace(fast_params, oversize_og_policy="exclude")
    solution = solved(og, params)
    assert solution.grappes == ()
    assert solution.exclusions[0].reason.startswith("son OG seul dépasse la taille maximale")


def test_max_distance(make_cluster, fast_params):
    cands = make_cluster(15, editor="A") + make_cluster(1, 80.0, 0.0, editor="A")
    solution = solved(cands, replace(fast_params, max_distance_km=30.0))
    assert solution.grappes[0].size == 15
    far = solution.exclusions[0]
    assert far.near_miss is not None and far.near_miss.relaxed_rule == "distance maximale"


def test_isolated_small_og_is_favoured(make_cluster, make_candidate, fast_params):
    # 21 ESSMS and a maximum of 20: the seat goes to the isolated ESSMS of a small OG (60 km
    # away); one close ESSMS of a large OG is left out instead.
    big = make_cluster(19, editor="A", radius_km=5.0, og_size=40)
    close_large = make_candidate(2.0, 0.0, editor="A", og_size=30)
    isolated_small = make_candidate(60.0, 0.0, editor="A", og_size=1)
    params = replace(fast_params, max_size=20, isolation_radius_km=20.0, isolation_min_peers=5)
    solution = solved([*big, close_large, isolated_small], params)
    covered = {m.finess_et for g in solution.grappes for m in g.members}
    assert isolated_small.finess_et in covered
    assert len(covered) == 20
    assert solution.exclusions[0].reason_code == "grappe_full"


def test_carrier_prefers_volunteer_then_largest(make_cluster, fast_params):
    cands = make_cluster(14, editor="A", og_size=3) + make_cluster(
        2, editor="A", finess_ej="EJVOL0001", og_size=2, willing_carrier=True
    )
    grappe = solved(cands, fast_params).grappes[0]
    assert grappe.carrier_ej == "EJVOL0001"
    assert "volontaire" in grappe.carrier_reason
    big = make_cluster(15, editor="A", og_size=3) + make_cluster(
        2, editor="A", finess_ej="EJBIG0001", og_size=120
    )
    grappe = solved(big, fast_params).grappes[0]
    assert grappe.carrier_ej == "EJBIG0001"
    assert grappe.n_small_og == 15


def test_infeasible_scope_is_explained(make_candidate, fast_params):
    cands = [make_candidate(k * 30.0, 0.0, editor=f"E{k}") for k in range(5)]
    solution = solved(cands, fast_params)
    assert solution.grappes == ()
    assert len(solution.exclusions) == 5
    assert all(e.reason for e in solution.exclusions)


def test_unknown_editor_is_explained(make_candidate, fast_params):
    bad = make_candidate(editor=None, dui_status="non_reference")
    solution = solved([bad], fast_params)
    assert solution.exclusions[0].reason_code == "unknown_editor"


def test_missing_coordinates_are_explained(make_cluster, fast_params):
    cands = make_cluster(15)
    lost = replace(cands[0], finess_et="690999999", finess_ej="EJLOST001", latitude=float("nan"))
    solution = solved([*cands, lost], fast_params)
    assert solution.grappes[0].size == 15
    assert solution.exclusions[0].reason_code == "invalid_input"
