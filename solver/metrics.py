"""Figures of a solution computed from scratch: objective, coverage, distances.

Used by the tests (brute-force optimum) and the benchmarks; the objective formula is the
model's: per member, distance_weight x its distance to the centre in tenths of km (rounded),
plus preference_penalty when a flexible member is not with the editor it prefers;
per ESSMS left out (except those excluded by a lock or invalid), its priority penalty; minus
carrier_bonus per grappe with a capable carrier (an OG that volunteered or is not small).
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.editors import preferred_editor
from solver.geo import haversine_km
from solver.prepare import prepare
from solver.types import Candidate, Lock, ReasonCode, Solution, SolveParams

PRE_EXCLUDED = (
    ReasonCode.EXCLUDED_BY_LOCK,
    ReasonCode.LOCK_CONFLICT,
    ReasonCode.INVALID_INPUT,
    ReasonCode.UNKNOWN_EDITOR,
)


@dataclass(frozen=True)
class Figures:
    """What the benchmark reports for one solution."""

    n_candidates: int
    n_covered: int
    n_grappes: int
    coverage: float
    total_km: float
    km_per_member: float
    small_isolated: int
    small_isolated_covered: int
    objective: int

    @property
    def small_isolated_coverage(self) -> float:
        return self.small_isolated_covered / self.small_isolated if self.small_isolated else 1.0


def objective_of(
    candidates: list[Candidate],
    params: SolveParams,
    solution: Solution,
    locks: tuple[Lock, ...] = (),
) -> int:
    """The model's objective recomputed on any solution."""
    prep = prepare(candidates, params, locks)
    by_id = {c.finess_et: c for c in candidates}
    total = 0
    for g in solution.grappes:
        centre = by_id[g.centre]
        capable = False
        for m in g.members:
            c = by_id[m.finess_et]
            d = haversine_km(c.latitude, c.longitude, centre.latitude, centre.longitude)
            total += params.distance_weight * round(d * 10)
            i = prep.index[m.finess_et]
            capable |= c.willing_carrier or not bool(prep.small_og[i])
            block = prep.blocks[prep.block_of[i]] if prep.block_of.get(i, -1) >= 0 else None
            preferred = preferred_editor(c)
            if block is not None and block.flexible and preferred not in (None, g.editor):
                total += params.preference_penalty
        if capable:
            total -= params.carrier_bonus
    for e in solution.exclusions:
        if e.reason_code not in PRE_EXCLUDED:
            total += int(prep.priority[prep.index[e.finess_et]])
    return total


def figures(candidates: list[Candidate], params: SolveParams, solution: Solution) -> Figures:
    """Coverage (all, and small isolated OG), total and mean km, objective."""
    prep = prepare(candidates, params, ())
    covered = {m.finess_et for g in solution.grappes for m in g.members}
    small_isolated = [
        c.finess_et for i, c in enumerate(candidates) if prep.small_og[i] and prep.isolated[i]
    ]
    total_km = sum(m.distance_km for g in solution.grappes for m in g.members)
    n = len(candidates)
    return Figures(
        n_candidates=n,
        n_covered=len(covered),
        n_grappes=len(solution.grappes),
        coverage=len(covered) / n if n else 0.0,
        total_km=round(total_km, 1),
        km_per_member=total_km / len(covered) if covered else 0.0,
        small_isolated=len(small_isolated),
        small_isolated_covered=sum(1 for f in small_isolated if f in covered),
        objective=objective_of(candidates, params, solution),
    )
