"""What the solver tests share besides their fixtures: the programme's reduced-minimum
territories, the factory type of ``make_candidate``, random tiny instances, the small rules
of those instances, the `Solution` of an assignment and the sub-problems solved alone (the
search and window tests)."""

from __future__ import annotations

import random
from collections.abc import Callable

from matchmaker.funding.scales import load_scale
from solver import Candidate, Solution, SolveParams
from solver.core import Deadline, _State
from solver.decompose import build_subproblems
from solver.heuristic import greedy, is_feasible
from solver.lns import write_back
from solver.model import solve_subproblem
from solver.prepare import Prepared

KM_PER_DEGREE = 111.2

#: The ``make_candidate`` fixture of ``tests/solver``.
CandidateFactory = Callable[..., Candidate]

#: The programme's reduced-minimum territories, as the app passes them (the scale file).
PROGRAMME_REDUCED = load_scale().overseas_corsica_departments


def random_candidates(rng: random.Random, n: int) -> list[Candidate]:
    """n candidates in a 100 km square around Lyon, 2 editors, a quarter without DUI, some
    OG pairs, some willing carriers."""
    out = []
    for k in range(n):
        flexible = rng.random() < 0.25
        out.append(
            Candidate(
                finess_et=f"69{k:07d}",
                finess_ej=f"EJ{k // 2 if rng.random() < 0.3 else 100 + k:07d}",
                latitude=45.76 + rng.uniform(-0.45, 0.45),
                longitude=4.84 + rng.uniform(-0.6, 0.6),
                department="69",
                og_size=rng.choice([1, 2, 5]),
                champ="PH",
                dui_status="aucun" if flexible else "reference_segur",
                editor=None if flexible else rng.choice(["A", "B"]),
                willing_carrier=rng.random() < 0.2,
            )
        )
    return out


#: Rules small enough for random tiny instances (grappes of 3 to 5).
SMALL = SolveParams(
    min_size=3,
    min_size_overseas=2,
    max_size=5,
    small_og_threshold=3,
    isolation_min_peers=3,
    isolation_radius_km=30.0,
    time_limit_s=10.0,
)


def as_solution(prep: Prepared, block_grappe: dict[int, tuple[str | None, int]]) -> Solution:
    """The `Solution` a solve would return for this assignment (grappes, explanations)."""
    state = _State(prep)
    state.block_grappe = dict(block_grappe)
    deadline = Deadline(10.0)
    return state.assemble(None, deadline, deadline)


def decomposed_start(
    prep: Prepared, exact: bool
) -> tuple[int, dict[int, tuple[str | None, int]], dict[int, str]]:
    """The solve's first phase alone: each sub-problem solved on its own, by CP-SAT
    (`exact`) or by the greedy warm start. Returns the number of sub-problems, the
    assignment (block -> grappe) and each block's sub-problem."""
    subs, _ = build_subproblems(prep, [b.index for b in prep.blocks])
    block_grappe: dict[int, tuple[str | None, int]] = {}
    origin: dict[int, str] = {}
    for sp in subs:
        sp.budget_s, sp.wall_limit_s, sp.relative_gap_limit = 5.0, 60.0, 0.0
        assign = solve_subproblem(sp).assign if exact else greedy(sp)
        if exact or is_feasible(sp, assign):
            write_back(sp, assign, block_grappe)
        origin.update((b, sp.key) for b in sp.blocks)
    return len(subs), block_grappe, origin
