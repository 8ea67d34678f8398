"""Grappes solver: forms grappes of ESSMS with CP-SAT (pure Python, no Flask, no database).

from solver import solve, validate, Candidate, SolveParams
solution = solve(candidates, SolveParams(time_limit_s=60))
assert validate(candidates, SolveParams(time_limit_s=60), (), solution) == []
"""

from solver.core import solve
from solver.geo import is_reduced_minimum
from solver.grappes import choose_carrier
from solver.types import (
    Apart,
    Candidate,
    Exclude,
    Exclusion,
    FrozenGrappe,
    Grappe,
    Lock,
    LockError,
    Member,
    MustJoin,
    NearMiss,
    Solution,
    SolveParams,
    SubproblemStats,
    Together,
)
from solver.validate import Violation, validate

__all__ = [
    "Apart",
    "Candidate",
    "Exclude",
    "Exclusion",
    "FrozenGrappe",
    "Grappe",
    "Lock",
    "LockError",
    "Member",
    "MustJoin",
    "NearMiss",
    "Solution",
    "SolveParams",
    "SubproblemStats",
    "Together",
    "Violation",
    "choose_carrier",
    "is_reduced_minimum",
    "solve",
    "validate",
]
