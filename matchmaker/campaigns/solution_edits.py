"""Edits of a solver ``Solution`` as stored for a run: ESSMS moved between grappes or left
out, with centres and distances recomputed the way the solver reports them (great-circle
km to the centre). Pure functions: the adjustments check their result with
``solver.validate`` before writing anything."""

from __future__ import annotations

from dataclasses import replace

from matchmaker.grappes.candidates import is_small_og
from matchmaker.vocabulary import ExclusionReason
from solver import types as st
from solver.geo import haversine_km

#: Reason code of an ESSMS removed by hand.
REMOVED = ExclusionReason.REMOVED_BY_COLLECTIF


def move_members(
    solution: st.Solution,
    moving: list[str],
    key: str | None,
    candidates: dict[str, st.Candidate],
    params: st.SolveParams,
) -> st.Solution:
    """``moving`` taken out of their grappes (or exclusions) and put in grappe ``key`` (or
    left out when ``key`` is None); centres and distances recomputed where needed."""
    out = set(moving)
    result = []
    for g in solution.grappes:
        members = [m.finess_et for m in g.members if m.finess_et not in out]
        if g.key == key:
            members += moving
        if len(members) == len(g.members) and g.key != key:
            result.append(g)
            continue
        if members:
            result.append(rebuilt(g, members, candidates, params))
    exclusions = [e for e in solution.exclusions if e.finess_et not in out]
    if key is None:
        exclusions += [
            st.Exclusion(f, REMOVED, "Retiré de la grappe par le collectif.") for f in moving
        ]
    return replace(solution, grappes=tuple(result), exclusions=tuple(exclusions))


def rebuilt(
    g: st.Grappe, members: list[str], candidates: dict[str, st.Candidate], params: st.SolveParams
) -> st.Grappe:
    known = [candidates[f] for f in members if f in candidates]
    centre = g.centre if g.centre in members else medoid(known)
    c0 = candidates.get(centre)

    def distance(f: str) -> float:
        c = candidates.get(f)
        if c is None or c0 is None:
            return 0.0
        return round(float(haversine_km(c.latitude, c.longitude, c0.latitude, c0.longitude)), 3)

    new_members = tuple(
        st.Member(f, candidates[f].finess_ej if f in candidates else "", distance(f))
        for f in members
    )
    total = sum(m.distance_km for m in new_members)
    return replace(
        g,
        centre=centre,
        members=new_members,
        total_km=round(total, 3),
        mean_km=round(total / len(new_members), 3),
        n_small_og=len({c.finess_ej for c in known if is_small(c, params)}),
    )


def medoid(members: list[st.Candidate]) -> str:
    def cost(c: st.Candidate) -> float:
        return sum(
            float(haversine_km(c.latitude, c.longitude, o.latitude, o.longitude)) for o in members
        )

    return min(members, key=cost).finess_et if members else ""


def is_small(c: st.Candidate, params: st.SolveParams) -> bool:
    return is_small_og(c.og_size, c.department, params)
