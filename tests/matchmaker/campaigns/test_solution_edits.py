"""Edits of a stored solution: a grappe rebuilt after a manual move reports its figures the
way the solver does."""

from __future__ import annotations

from matchmaker.campaigns import solution_edits
from solver import types as st


def _candidate(finess_et: str, finess_ej: str, og_size: int, offset: float) -> st.Candidate:
    return st.Candidate(
        finess_et=finess_et,
        finess_ej=finess_ej,
        latitude=48.0 + offset,
        longitude=-1.6,
        department="35",
        og_size=og_size,
        champ="PA",
        dui_status="reference_segur",
        editor="Alpha",
    )


def test_a_rebuilt_grappe_counts_distinct_small_og_not_their_essms() -> None:
    # 8 small OG of 2 ESSMS each (16 ESSMS), as the issue saw: « Petits OG » must say 8.
    candidates = {
        f"35000{i:04d}": _candidate(f"35000{i:04d}", f"35900{i // 2:04d}", 2, i * 0.01)
        for i in range(16)
    }
    members = sorted(candidates)
    grappe = st.Grappe(
        key="g1",
        editor="Alpha",
        centre=members[0],
        members=(),
        carrier_ej=candidates[members[0]].finess_ej,
        carrier_reason="",
        total_km=0.0,
        mean_km=0.0,
        n_small_og=0,
    )
    params = st.SolveParams()
    rebuilt = solution_edits.rebuilt(grappe, members, candidates, params)
    assert rebuilt.size == 16
    assert rebuilt.n_small_og == 8
