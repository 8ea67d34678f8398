"""Grappes solver: forms grappes of ESSMS with CP-SAT (pure Python, no Flask, no database).

from solver import solve, validate, Candidate, SolveParams
solution = solve(candidates, SolveParams(time_limit_s=60))
assert validate(candidates, SolveParams(time_limit_s=60), (), solution) == []
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from solver.core import solve


def __getattr__(name: str) -> Any:
    """``solve`` is imported on first use: it loads OR-Tools, which the site's pages and the
    light commands never need (``grappes --help`` stays fast)."""
    if name == "solve":
        from solver.core import solve

        return solve
    raise AttributeError(f"module 'solver' has no attribute {name!r}")


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
