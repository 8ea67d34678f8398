"""JSON instances and solutions for `python -m solver instance.json [--out result.json]`.

Instance format::

    {"candidates": [{"finess_et": "...", "finess_ej": "...", "latitude": 45.1, ...}, ...],
     "params": {"min_size": 15, "time_limit_s": 60, ...},            # optional
     "locks": [{"type": "must_join", "finess_et": "...", "grappe_key": "G0001"},
               {"type": "apart", "a": "...", "b": "..."},
               {"type": "together", "a": "...", "b": "..."},
               {"type": "exclude", "finess_et": "..."},
               {"type": "frozen", "key": "G0002", "editor": "X", "members": ["..."]}],
     "previous": {... a solution written by --out ...}}               # optional
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from solver.types import (
    Apart,
    Candidate,
    Exclude,
    Exclusion,
    FrozenGrappe,
    Grappe,
    Lock,
    Member,
    MustJoin,
    NearMiss,
    Solution,
    SolveParams,
    SubproblemStats,
    Together,
)

LOCK_TYPES: dict[str, type] = {
    "must_join": MustJoin,
    "apart": Apart,
    "together": Together,
    "exclude": Exclude,
    "frozen": FrozenGrappe,
}


@dataclasses.dataclass(frozen=True)
class Instance:
    """What a JSON instance file holds."""

    candidates: list[Candidate]
    params: SolveParams
    locks: tuple[Lock, ...]
    previous: Solution | None


def lock_from_dict(data: dict[str, Any]) -> Lock:
    """A lock from its JSON form (`type` picks the class)."""
    values = dict(data)
    kind = values.pop("type", None)
    if kind not in LOCK_TYPES:
        raise ValueError(f"Type de verrou inconnu : {kind!r}")
    if kind == "frozen":
        values["members"] = tuple(values.get("members", ()))
    return LOCK_TYPES[kind](**values)


def lock_to_dict(lock: Lock) -> dict[str, Any]:
    """The JSON form of a lock."""
    kind = next(k for k, cls in LOCK_TYPES.items() if isinstance(lock, cls))
    data = dataclasses.asdict(lock)
    if isinstance(lock, FrozenGrappe):
        data["members"] = list(lock.members)
    return {"type": kind, **data}


def params_to_dict(params: SolveParams) -> dict[str, Any]:
    """JSON form of the params (sets become sorted lists)."""
    data = dataclasses.asdict(params)
    data["reduced_minimum_departments"] = sorted(params.reduced_minimum_departments)
    return data


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    """JSON form of a solution."""
    data = dataclasses.asdict(solution)
    data["params"] = params_to_dict(solution.params)
    return data


def solution_from_dict(data: dict[str, Any]) -> Solution:
    """Read back a solution written by `solution_to_dict` (e.g. to pass it as `previous`)."""
    grappes = tuple(
        Grappe(**{**g, "members": tuple(Member(**m) for m in g["members"])})
        for g in data.get("grappes", [])
    )
    exclusions = tuple(
        Exclusion(**{**e, "near_miss": NearMiss(**e["near_miss"]) if e.get("near_miss") else None})
        for e in data.get("exclusions", [])
    )
    subproblems = tuple(SubproblemStats(**s) for s in data.get("subproblems", []))
    rest = {
        k: v for k, v in data.items() if k not in ("grappes", "exclusions", "subproblems", "params")
    }
    params = SolveParams.from_dict(data["params"]) if "params" in data else SolveParams()
    return Solution(
        grappes=grappes, exclusions=exclusions, subproblems=subproblems, params=params, **rest
    )


def load_instance(path: Path) -> Instance:
    """Read an instance file (see the module docstring)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    candidates = [Candidate(**c) for c in data["candidates"]]
    params = SolveParams.from_dict(data.get("params", {}))
    locks = tuple(lock_from_dict(lock) for lock in data.get("locks", []))
    previous = solution_from_dict(data["previous"]) if data.get("previous") else None
    return Instance(candidates, params, locks, previous)


def dump_instance(
    path: Path,
    candidates: list[Candidate],
    params: SolveParams | None = None,
    locks: tuple[Lock, ...] = (),
) -> None:
    """Write an instance file."""
    data = {
        "candidates": [dataclasses.asdict(c) for c in candidates],
        "params": params_to_dict(params or SolveParams()),
        "locks": [lock_to_dict(lock) for lock in locks],
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def dump_solution(path: Path, solution: Solution) -> None:
    """Write a solution as JSON (UTF-8, French text kept readable)."""
    path.write_text(
        json.dumps(solution_to_dict(solution), ensure_ascii=False, indent=1), encoding="utf-8"
    )
