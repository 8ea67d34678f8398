"""Human in the loop: locks, frozen grappes and re-solves from a previous solution."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver import (
    Apart,
    Exclude,
    FrozenGrappe,
    LockError,
    MustJoin,
    Together,
    solve,
    validate,
)


def run(cands, params, locks=(), previous=None):  # type: ignore[no-untyped-def]
    solution = solve(cands, params, locks, previous)
    assert validate(cands, params, locks, solution) == []
    return solution


def where(solution):  # type: ignore[no-untyped-def]
    return solution.grappe_of()


def test_exclude_lock(make_cluster, fast_params):
    cands = make_cluster(16)
    locks = (Exclude(cands[0].finess_et),)
    solution = run(cands, fast_params, locks)
    assert cands[0].finess_et not in where(solution)
    assert solution.exclusions[0].reason_code == "excluded_by_lock"
    assert solution.grappes[0].size == 15


def test_apart_lock(make_cluster, fast_params):
    cands = make_cluster(30, radius_km=4.0)
    a, b = cands[0].finess_et, cands[1].finess_et
    solution = run(cands, fast_params, (Apart(a, b),))
    placed = where(solution)
    assert a in placed and b in placed and placed[a] != placed[b]


def test_together_lock(make_cluster, fast_params):
    west = make_cluster(15, -100.0, 0.0)
    east = make_cluster(15, 100.0, 0.0)
    a, b = west[0].finess_et, east[0].finess_et
    solution = run(west + east, fast_params, (Together(a, b),))
    placed = where(solution)
    assert placed.get(a) == placed.get(b)


def test_must_join_names_the_grappe(make_cluster, fast_params):
    west = make_cluster(15, -100.0, 0.0)
    east = make_cluster(15, 100.0, 0.0)
    locks = (MustJoin(west[0].finess_et, "OUEST"), MustJoin(east[0].finess_et, "EST"))
    solution = run(west + east, fast_params, locks)
    assert sorted(g.key for g in solution.grappes) == ["EST", "OUEST"]
    assert where(solution)[west[1].finess_et] == "OUEST"


def test_two_keys_mean_two_grappes(make_cluster, fast_params):
    cands = make_cluster(30)
    locks = (MustJoin(cands[0].finess_et, "K1"), MustJoin(cands[1].finess_et, "K2"))
    solution = run(cands, fast_params, locks)
    assert where(solution)[cands[0].finess_et] == "K1"
    assert where(solution)[cands[1].finess_et] == "K2"


def test_frozen_grappe_is_kept_and_can_receive(make_cluster, make_candidate, fast_params):
    cands = make_cluster(16)
    newcomer = make_candidate(1.0, 1.0)
    frozen = FrozenGrappe("ACCEPTEE", "A", tuple(c.finess_et for c in cands[:15]))
    locks = (frozen, MustJoin(newcomer.finess_et, "ACCEPTEE"))
    solution = run([*cands, newcomer], fast_params, locks)
    grappe = next(g for g in solution.grappes if g.key == "ACCEPTEE")
    assert grappe.frozen
    assert {m.finess_et for m in grappe.members} == {
        *frozen.members,
        newcomer.finess_et,
    }
    assert cands[15].finess_et not in where(solution)


def test_frozen_grappe_of_wrong_editor_refuses_newcomer(make_cluster, make_candidate, fast_params):
    cands = make_cluster(15)
    other = make_candidate(1.0, 1.0, editor="B")
    locks = (
        FrozenGrappe("F", "A", tuple(c.finess_et for c in cands)),
        MustJoin(other.finess_et, "F"),
    )
    solution = run([*cands, other], fast_params, locks)
    assert solution.exclusions[0].reason_code == "lock_conflict"


def test_conflicting_locks_are_explained(make_cluster, fast_params):
    cands = make_cluster(20)
    a, b = cands[0].finess_et, cands[1].finess_et
    solution = run(cands, fast_params, (Apart(a, b), Together(a, b)))
    codes = {e.finess_et: e.reason_code for e in solution.exclusions}
    assert codes == {a: "lock_conflict", b: "lock_conflict"}


def test_must_join_impossible_is_explained(make_cluster, make_candidate, fast_params):
    cands = make_cluster(15)
    far = make_candidate(900.0, 0.0)
    params = replace(fast_params, max_distance_km=50.0)
    solution = run([*cands, far], params, (MustJoin(far.finess_et, "K"),))
    excl = {e.finess_et: e for e in solution.exclusions}
    assert excl[far.finess_et].reason_code == "lock_conflict"


def test_lock_on_unknown_essms_raises(make_cluster, fast_params):
    with pytest.raises(LockError):
        solve(make_cluster(15), fast_params, (Exclude("999999999"),))


def test_resolve_with_previous_keeps_the_solution(make_cluster, fast_params):
    cands = make_cluster(16, -50.0, 0.0) + make_cluster(16, 50.0, 0.0)
    first = run(cands, fast_params)
    second = run(cands, fast_params, previous=first)
    assert {frozenset(m.finess_et for m in g.members) for g in first.grappes} == {
        frozenset(m.finess_et for m in g.members) for g in second.grappes
    }


def test_resolve_keeps_grappe_keys(make_cluster, fast_params):
    west, east = make_cluster(16, -50.0, 0.0), make_cluster(16, 50.0, 0.0)
    first = run(west + east, fast_params)
    renamed = replace(
        first, grappes=tuple(replace(g, key=f"X{n}") for n, g in enumerate(first.grappes))
    )
    locks = (Exclude(west[0].finess_et),)
    second = run(west + east, fast_params, locks, previous=renamed)
    assert {g.key for g in second.grappes} == {"X0", "X1"}
