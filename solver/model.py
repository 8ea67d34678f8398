"""CP-SAT model of one sub-problem: a capacitated p-median with optional coverage.

Data -> variables -> constraints (one function per programme rule) -> objective -> solve ->
read, as in the OR-Tools samples. Variables:

- `is_open[c]`: the ESSMS c is the centre of a grappe (it is then a member of it);
- `x[b, c]`: block b (an OG block, see `solver.prepare`) joins the grappe centred on c, for
  the sparse arcs of `solver.decompose` only. `x[own block of c, c]` *is* `is_open[c]`.

Objective (integers, tenths of km): distances of members to their centre + the priority
penalty of every block left out - a bonus for each grappe with a capable carrier.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from solver.decompose import Subproblem
from solver.heuristic import UNASSIGNED, greedy, is_feasible, objective

SUCCESS = ("OPTIMAL", "FEASIBLE")


@dataclass
class SubResult:
    """What a sub-problem solve returns to the orchestrator (picklable)."""

    key: str
    assign: list[int]
    status: str
    objective: float
    best_bound: float
    wall_time_s: float
    heuristic_objective: float
    deterministic_time: float = 0.0
    cut_short: bool = False
    #: Infeasible with the user's locks, so solved without them (``status`` is that solve's).
    locks_relaxed: bool = False


@dataclass
class _Vars:
    is_open: dict[int, cp_model.IntVar]
    x: dict[tuple[int, int], cp_model.IntVar]
    by_block: dict[int, list[int]]
    by_centre: dict[int, list[int]]
    has_carrier: dict[int, cp_model.IntVar]


def create_variables(model: cp_model.CpModel, sp: Subproblem) -> _Vars:
    """One literal per possible centre and per sparse arc (own-block arc = centre literal)."""
    is_open = {c: model.new_bool_var(f"open_{c}") for c in range(len(sp.centres))}
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_block: dict[int, list[int]] = defaultdict(list)
    by_centre: dict[int, list[int]] = defaultdict(list)
    for b, c, _ in sp.arcs:
        x[b, c] = is_open[c] if sp.centre_block[c] == b else model.new_bool_var(f"x_{b}_{c}")
        by_block[b].append(c)
        by_centre[c].append(b)
    return _Vars(is_open, x, by_block, by_centre, {})


def add_one_grappe_per_essms(model: cp_model.CpModel, sp: Subproblem, v: _Vars) -> None:
    """Each ESSMS is in at most one grappe; a block with a MustJoin lock is in exactly one."""
    for b, centres in v.by_block.items():
        lits = [v.x[b, c] for c in centres]
        if sp.forced[b]:
            model.add_exactly_one(lits)
        else:
            model.add_at_most_one(lits)
    for b in range(len(sp.weights)):
        if sp.forced[b] and b not in v.by_block:
            model.add_bool_or([])  # a forced block without any arc makes the model infeasible


def add_open_centre(model: cp_model.CpModel, v: _Vars) -> None:
    """Only an open centre receives members (strong linking, tightens the LP bound)."""
    for (_b, c), lit in v.x.items():
        if lit is not v.is_open[c]:
            model.add_implication(lit, v.is_open[c])


def add_min_size(model: cp_model.CpModel, sp: Subproblem, v: _Vars) -> None:
    """An open grappe has at least min_size ESSMS (min_size_overseas for Corsica/overseas)."""
    for c, blocks in v.by_centre.items():
        size = sum(sp.weights[b] * v.x[b, c] for b in blocks)
        model.add(size >= sp.centre_min[c] * v.is_open[c])


def add_max_size(model: cp_model.CpModel, sp: Subproblem, v: _Vars) -> None:
    """An open grappe has at most max_size ESSMS (49: regional funding threshold)."""
    for c, blocks in v.by_centre.items():
        size = sum(sp.weights[b] * v.x[b, c] for b in blocks)
        model.add(size <= sp.max_size * v.is_open[c])


def add_apart(model: cp_model.CpModel, sp: Subproblem, v: _Vars) -> None:
    """Apart locks (and blocks locked to different grappe keys) never share a centre."""
    for a, b in sp.apart:
        for c in set(v.by_block.get(a, ())) & set(v.by_block.get(b, ())):
            model.add_at_most_one([v.x[a, c], v.x[b, c]])


def add_carrier_bonus(model: cp_model.CpModel, sp: Subproblem, v: _Vars) -> None:
    """`has_carrier[c]` may be true only if a capable carrier's block joins grappe c."""
    if sp.carrier_bonus <= 0:
        return
    for c, blocks in v.by_centre.items():
        capable = [v.x[b, c] for b in blocks if sp.capable[b]]
        if not capable:
            continue
        lit = model.new_bool_var(f"carrier_{c}")
        model.add_bool_or(capable).only_enforce_if(lit)
        v.has_carrier[c] = lit


def build_objective(model: cp_model.CpModel, sp: Subproblem, v: _Vars) -> None:
    """Distances + penalties of blocks left out - carrier bonus, as one linear objective.

    Written as constant (all penalties) + sum over arcs of (cost - penalty) so that the
    coverage of each block needs no extra variable.
    """
    constant = sum(sp.penalties)
    terms = [(cost - sp.penalties[b]) * v.x[b, c] for b, c, cost in sp.arcs]
    bonus = [sp.carrier_bonus * lit for lit in v.has_carrier.values()]
    model.minimize(sum(terms) - sum(bonus) + constant)


def add_hint(model: cp_model.CpModel, sp: Subproblem, v: _Vars, assign: list[int]) -> None:
    """Hint every variable from an assignment (warm start or previous solution)."""
    open_centres = {c for b, c in enumerate(assign) if c != UNASSIGNED}
    for (b, c), lit in v.x.items():
        if lit is v.is_open[c]:
            continue
        model.add_hint(lit, assign[b] == c)
    for c, lit in v.is_open.items():
        model.add_hint(lit, c in open_centres and assign[sp.centre_block[c]] == c)
    for c, lit in v.has_carrier.items():
        model.add_hint(lit, any(assign[b] == c and sp.capable[b] for b in v.by_centre[c]))


def make_solver(sp: Subproblem) -> cp_model.CpSolver:
    """CP-SAT parameters, all explicit.

    Linearization level 2 gives the LP relaxation of the p-median (level 1 left huge gaps);
    one search worker per sub-problem (sub-problems run in parallel instead). The budget is
    deterministic time, so that a fixed seed gives the same result, with a wall-time guard.
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = sp.cp_workers
    p.random_seed = sp.seed
    p.max_deterministic_time = sp.budget_s * sp.deterministic_time_per_s
    p.max_time_in_seconds = sp.wall_limit_s
    p.relative_gap_limit = sp.relative_gap_limit
    p.cp_model_presolve = sp.cp_presolve
    p.linearization_level = sp.cp_linearization_level
    p.log_search_progress = False
    return solver


def trivial_bound(sp: Subproblem) -> float:
    """A valid lower bound without any search: every centre open with a carrier bonus."""
    return -float(sp.carrier_bonus * len(sp.centres))


def build_model(sp: Subproblem) -> tuple[cp_model.CpModel, _Vars]:
    """The sub-problem's model: its variables, every rule and the objective (no hint)."""
    model = cp_model.CpModel()
    v = create_variables(model, sp)
    add_one_grappe_per_essms(model, sp, v)
    add_open_centre(model, v)
    add_min_size(model, sp, v)
    add_max_size(model, sp, v)
    add_apart(model, sp, v)
    add_carrier_bonus(model, sp, v)
    build_objective(model, sp, v)
    return model, v


def solve_subproblem(sp: Subproblem) -> SubResult:
    """Warm start greedily, then run CP-SAT; keep the best of the two."""
    start = time.perf_counter()
    warm = greedy(sp)
    warm_ok = is_feasible(sp, warm)
    warm_obj = objective(sp, warm) if warm_ok else float("inf")
    hint = sp.hint if sp.hint is not None and is_feasible(sp, sp.hint) else None
    if hint is not None and objective(sp, hint) > warm_obj:
        hint = None
    model, v = build_model(sp)
    add_hint(model, sp, v, hint if hint is not None else warm)
    solver = make_solver(sp)
    status = solver.solve(model)
    name = solver.status_name(status)
    # the wall-time guard (not the deterministic budget) stopped the search: machine loaded
    cut_short = name != "OPTIMAL" and solver.wall_time >= 0.98 * sp.wall_limit_s
    if name in SUCCESS:
        assign = [UNASSIGNED] * len(sp.weights)
        for (b, c), lit in v.x.items():
            if solver.boolean_value(lit):
                assign[b] = c
        # recomputed: a feasible (not optimal) solution may leave a carrier bonus unclaimed
        obj, bound = float(objective(sp, assign)), solver.best_objective_bound
        if warm_ok and warm_obj < obj:
            assign, obj = warm, warm_obj
    elif name == "INFEASIBLE" and any(sp.forced):
        relaxed = replace(sp, forced=[False] * len(sp.forced), hint=None)
        result = solve_subproblem(relaxed)
        result.locks_relaxed = True
        return result
    elif warm_ok:
        assign, obj, name = warm, warm_obj, "FEASIBLE"
        bound = solver.best_objective_bound
    else:
        assign, obj = [UNASSIGNED] * len(sp.weights), float(sum(sp.penalties))
        bound = -math.inf
    if not math.isfinite(bound):
        bound = trivial_bound(sp)
    return SubResult(
        key=sp.key,
        assign=assign,
        status=name,
        objective=float(obj),
        best_bound=float(min(bound, obj)),
        wall_time_s=time.perf_counter() - start,
        heuristic_objective=float(warm_obj),
        deterministic_time=float(solver.deterministic_time),
        cut_short=cut_short,
    )
