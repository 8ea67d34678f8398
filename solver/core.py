"""`solve`: prepare, decompose, solve sub-problems (in parallel), repair, explain, assemble.

Phases:

1. all blocks (every editor together: flexible blocks, whose editor the model chooses, link
   the editors' markets) are cut into independent sub-problems and solved by CP-SAT, largest
   first, on `num_workers` processes (sequentially with one worker);
2. blocks still left out are inserted into the closest compatible grappe (any editor for
   flexible blocks) that has room, when that costs less than leaving them out (by default
   always: coverage first);
3. blocks still left out form new grappes among themselves, per editor, completed by
   flexible blocks (`_regroup_left_out`), then phase 2 runs again;
4. blocks move to cheaper grappes across the sub-problem cuts and centres move to their
   grappe's medoid (`heuristic.improve_solution`), then neighbouring grappes are re-solved
   exactly on all arcs (`solver.lns`), then windows of whole grappes across the sub-problem
   cuts are re-solved on the workers (`solver.seams`), until the bound's share of the time;
5. the global lower bound (`solver.bound`, the Lagrangian of the whole model) is computed
   last, until the deadline less `FINAL_SHARE`.

Time: one `Deadline` (the start of the solve + the effective time limit) rules every phase.
70 % of the budget (`SolveParams.effective_time_limit`: the user's `time_limit_s`, or
a budget that follows the number of ESSMS) x `num_workers` is shared between sub-problems in
proportion to their number of arcs, capped by `subproblem_time_limit_s`. CP-SAT receives it
as deterministic time (so a seeded run is reproducible, whatever the machine's load), with a
wall-time guard that also stops every sub-problem at the overall deadline; a run stopped by a
guard keeps its best solution and says so (`Solution.cut_short`). When the sub-problems
leave at least half of that deterministic budget (`SEAM_MIN_SPARE`), what they leave plus
`SEAM_WORK_SHARE` goes to the seam windows on the same workers (none otherwise: the run is
short of time); the neighbourhood search gets `LNS_WORK_SHARE`. Sub-problems must end by the
deadline less the reserve: those not started by then, or still running at the deadline (their
workers are killed), get the greedy warm start only; repair phases stop where they are when
the deadline passes. Workers are spawned processes that die with the solve
(`solver.processes`); for a run larger than one sub-problem they are started first, so
that their start-up (importing OR-Tools) overlaps the preparation.

Degraded paths on a slow machine, each making `cut_short` true: sub-problems not reached
get the greedy start (above); explanations past the deadline lose their near-miss grappe;
the global bound stops inside its set-up or pricing at the deadline, and past it the trivial
bound replaces the combinatorial one.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import replace

import numpy as np

from solver import geo
from solver.bound import global_lower_bound, solution_objective
from solver.decompose import Subproblem, build_subproblems, centre_editor
from solver.explain import explain_uncovered
from solver.grappes import make_grappe
from solver.heuristic import greedy, improve_solution, is_feasible
from solver.heuristic import objective as heuristic_objective
from solver.lns import improve_by_lns
from solver.model import SubResult, solve_subproblem
from solver.prepare import Block, Prepared, prepare
from solver.processes import DyingPool
from solver.seams import improve_seams
from solver.types import (
    Candidate,
    Exclusion,
    Grappe,
    Lock,
    Solution,
    SolveParams,
    SubproblemStats,
)

Progress = Callable[[float, str], None]
#: Share of the time kept for the repair phases after the sub-problems.
RESERVE_SHARE = 0.1
#: Share of the time kept for the global lower bound (solver.bound), computed last.
BOUND_SHARE = 0.2
#: Share of the time limit kept after the global bound (the solution's last steps).
FINAL_SHARE = 0.01
#: CP-SAT deterministic time of the neighbourhood search (solver.lns), per second of the
#: run's budget and per unit of `deterministic_time_per_s`.
LNS_WORK_SHARE = 0.25
#: CP-SAT deterministic time of the seam windows (solver.seams), per second of the run's
#: budget, per worker and per unit of `deterministic_time_per_s`; they also get what the
#: sub-problems left of theirs (sub-problems solved to optimality early).
SEAM_WORK_SHARE = 0.25
#: The seam windows run only when the sub-problems left at least this share of their
#: deterministic budget (a run whose sub-problems use their budget is short of time).
SEAM_MIN_SPARE = 0.5
#: Seconds per ESSMS kept at the end for assembling the solution (grappes, explanations):
#: 6 to 13 s for 35,000 ESSMS on a 2-core machine at load 11-14 (bench/bench_time_limit.py).
ASSEMBLY_S_PER_ESSMS = 4e-4
WALL_GUARD_FACTOR = 3.0
#: Nearest grappes looked at when inserting a block left out.
INSERT_LOOKUP = 60
#: Blocks near a seed whose members may head the grappe it regroups (`_gather`).
REGROUP_CENTRES = 8
#: …among its `REGROUP_LOCAL_SIZES` × max_size nearest blocks.
REGROUP_LOCAL_SIZES = 3
#: Seconds added to every wall-time guard (machine load must not change a seeded result).
WALL_GUARD_SLACK_S = 5.0
#: Seconds between two progress reports while sub-problems run (a cancel raised by the
#: progress callback is noticed within this delay).
TICK_S = 1.0
#: Status of a sub-problem that got only the greedy warm start (started after the deadline).
HEURISTIC_ONLY = "HEURISTIQUE"


class Deadline:
    """The one wall-clock deadline of a solve, read on `clock` (injectable for tests)."""

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.start = clock()
        self.limit_s = limit_s
        self.at = self.start + limit_s

    def left(self) -> float:
        """Seconds until the deadline (negative once passed)."""
        return self.at - self.clock()

    def passed(self) -> bool:
        return self.clock() >= self.at

    def elapsed(self) -> float:
        return self.clock() - self.start

    def before(self, reserve_s: float) -> Deadline:
        """A deadline `reserve_s` seconds earlier, on the same clock."""
        earlier = Deadline.__new__(Deadline)
        earlier.clock, earlier.start = self.clock, self.start
        earlier.limit_s = self.limit_s - reserve_s
        earlier.at = self.at - reserve_s
        return earlier


def solve(
    candidates: Iterable[Candidate],
    params: SolveParams | None = None,
    locks: Iterable[Lock] = (),
    previous: Solution | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Solution:
    """Form grappes from `candidates` under `params` and `locks`.

    Hard rules (checked independently by `solver.validate.validate`): size between the minimum
    (reduced in Corsica/overseas) and the maximum, one editor per grappe, each ESSMS at most
    once, OG blocks together, optional maximum distance, locks and frozen grappes. Left-out
    ESSMS are explained, never raised. `previous` warm-starts CP-SAT (`add_hint`).

    `progress(fraction, message)` is called at each step and at least every `TICK_S` while
    sub-problems run; an exception it raises (a cancelled job) stops the solve at once,
    worker processes included. Every phase ends by the deadline set by the time limit, read
    on `clock`; past it, the best solution so far is returned with `cut_short`.
    """
    params = params or SolveParams()
    report = progress or _silent
    cands = list(candidates)
    time_limit = params.effective_time_limit(len(cands))
    deadline = Deadline(time_limit, clock)
    # workers start now, their start-up overlapping the preparation and the decomposition,
    # when the run is large enough to be cut into several sub-problems (a small one is
    # prepared in no time, and often solved in this process alone)
    early = params.num_workers > 1 and len(cands) > params.max_subproblem_size
    pool = DyingPool.started(params.num_workers) if early else None
    try:
        return _solve(cands, params, tuple(locks), previous, report, deadline, pool)
    finally:
        if pool is not None:  # a cancel, an error, or workers never used: killed at once
            pool.terminate()


def _solve(
    cands: list[Candidate],
    params: SolveParams,
    locks: tuple[Lock, ...],
    previous: Solution | None,
    report: Progress,
    deadline: Deadline,
    pool: DyingPool | None,
) -> Solution:
    time_limit = deadline.limit_s
    prep = prepare(cands, params, locks)
    report(0.02, "Candidats préparés : blocs d'OG et verrous appliqués")
    state = _State(prep, pool)

    subs, _ = build_subproblems(prep, [b.index for b in prep.blocks])
    report(0.05, f"{len(subs)} sous-problèmes construits")
    _hint_from_previous(prep, subs, previous)
    cp_share = 1 - RESERVE_SHARE - BOUND_SHARE
    cp_budget = time_limit * params.num_workers * cp_share
    _set_budgets(subs, cp_budget, params)
    # the global bound gets the end of the limit but the assembly; everything else ends
    # by `finish_by`
    assembly = deadline.before(ASSEMBLY_S_PER_ESSMS * len(cands))
    finish_by = assembly.before(BOUND_SHARE * time_limit)
    state.run(subs, finish_by, report, 0.05, 0.8)
    if finish_by.passed():
        state.cut_short = True
        report(0.9, "Limite de temps atteinte : rattachements et regroupements sautés")
    else:
        _insert_left_out(state, finish_by)
        report(0.85, "ESSMS restants rattachés aux grappes qui ont de la place")
        _regroup_left_out(state, finish_by)
        _insert_left_out(state, finish_by)
        _pull_flexible(state, finish_by)
        report(0.9, "ESSMS restants regroupés en grappes supplémentaires")
        # perf_counter time (the improvement phase's clock)
        improve_solution(prep, state.block_grappe, time.perf_counter() + finish_by.left())
        # issue 13: exact re-solve of neighbouring grappes on all arcs, until `finish_by`
        # or its deterministic work limit (reproducible when that comes first)
        lns = improve_by_lns(
            prep,
            state.block_grappe,
            time.perf_counter() + finish_by.left(),
            work_limit=LNS_WORK_SHARE * time_limit * params.deterministic_time_per_s,
        )
        # stopped by the wall clock: a seeded run may differ from one machine load to another
        state.cut_short |= lns.stopped_by_deadline
        report(0.91, f"Voisinages de grappes re-résolus : {lns.improved} améliorations")
        # issue 13: windows across the sub-problem cuts re-solved on the workers, when the
        # sub-problems left at least SEAM_MIN_SPARE of their deterministic budget (otherwise
        # the run is short of time: the clock would stop the windows)
        spare = cp_budget * params.deterministic_time_per_s - state.cp_work
        roomy = spare >= SEAM_MIN_SPARE * cp_budget * params.deterministic_time_per_s
        seams = improve_seams(
            prep,
            state.block_grappe,
            state.origin,
            time.perf_counter() + finish_by.left(),
            work_limit=(
                spare
                + SEAM_WORK_SHARE
                * time_limit
                * params.num_workers
                * params.deterministic_time_per_s
            )
            if roomy
            else 0.0,
            pool=state.pool,
            workers=params.num_workers,
            progress=lambda done: report(
                0.91,
                f"Fenêtres entre sous-problèmes : {done.windows} re-résolues, "
                f"{done.improved} améliorées",
            ),
        )
        state.cut_short |= seams.stopped_by_deadline
        report(
            0.915,
            f"Fenêtres entre sous-problèmes re-résolues : {seams.improved} sur "
            f"{seams.windows} améliorées",
        )
    state.release_pool()  # no phase after the seam windows uses the workers
    report(0.92, "Calcul de la borne globale")
    solution = state.assemble(previous, deadline.before(FINAL_SHARE * time_limit), deadline)
    state.cut_short |= deadline.passed()
    solution = replace(solution, cut_short=state.cut_short)
    report(
        1.0,
        f"Solution trouvée : {len(solution.grappes)} grappes, "
        f"couverture {100 * solution.coverage:.1f} %",
    )
    return solution


def _silent(_fraction: float, _message: str) -> None:
    return None


def _set_budgets(subs: list[Subproblem], budget: float, params: SolveParams) -> None:
    """Share `budget` seconds: each sub-problem gets `min_subproblem_time_s` (so that its LP
    is solved and its bound means something), the rest in proportion to its arcs, capped by
    `subproblem_time_limit_s` (water filling)."""
    if not subs:
        return
    cap = params.subproblem_time_limit_s
    floor = min(params.min_subproblem_time_s, cap, budget / len(subs))
    extra = {sp.key: 0.0 for sp in subs}
    remaining, todo = budget - floor * len(subs), list(subs)
    while todo and remaining > 1e-9:
        total = sum(len(sp.arcs) for sp in todo) or 1
        share = {sp.key: remaining * len(sp.arcs) / total for sp in todo}
        capped = [sp for sp in todo if floor + extra[sp.key] + share[sp.key] >= cap]
        if not capped:
            for sp in todo:
                extra[sp.key] += share[sp.key]
            break
        for sp in capped:
            remaining -= cap - floor - extra[sp.key]
            extra[sp.key] = cap - floor
            todo.remove(sp)
    for sp in subs:
        sp.budget_s = floor + extra[sp.key]


def _hint_from_previous(prep: Prepared, subs: list[Subproblem], previous: Solution | None) -> None:
    """Turn an earlier solution into a hint (block -> centre) where its arcs still exist."""
    if previous is None:
        return
    grappe_of = {
        m.finess_et: (g.centre, g.editor)
        for g in previous.grappes
        for m in g.members
        if not g.frozen
    }
    for sp in subs:
        local_centre = {
            (prep.candidates[c].finess_et, sp.centre_editor[j]): j for j, c in enumerate(sp.centres)
        }
        arcs = {(b, c) for b, c, _ in sp.arcs}
        hint: list[int] = []
        for gb in sp.blocks:
            first = prep.candidates[prep.blocks[gb].members[0]].finess_et
            c = local_centre.get(grappe_of.get(first, ("", None)), -1)
            hint.append(c if (len(hint), c) in arcs else -1)
        sp.hint = hint


class _GreedyTail:
    """While the workers solve the head of the queue (largest first), the solving process,
    otherwise idle, computes the greedy start of the sub-problems at its tail that CP-SAT
    will not reach in time (the queue's budgets exceed the time left), so that little is
    left to do once the deadline passes. A claimed sub-problem stays in the queue, last to be
    given to CP-SAT if time remains."""

    def __init__(self, queue: list[Subproblem], solve_by: Deadline, workers: int) -> None:
        self.queue = queue
        self.solve_by = solve_by
        self.workers = workers
        self.claimed: set[str] = set()
        self.results: dict[str, SubResult] = {}
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._work, name="grappes-greedy", daemon=True)
        self.thread.start()

    def pop_first(self) -> Subproblem | None:
        """The first sub-problem not claimed, else the first claimed one (CP-SAT had time
        for more than foreseen), taken out of the queue (None: none left)."""
        with self.lock:
            for position, sp in enumerate(self.queue):
                if sp.key not in self.claimed:
                    return self.queue.pop(position)
            return self.queue.pop(0) if self.queue else None

    def _claim(self) -> Subproblem | None:
        with self.lock:
            pending = [sp for sp in self.queue if sp.key not in self.claimed]
            budgets = sum(sp.budget_s for sp in pending)
            if not pending or budgets / self.workers <= self.solve_by.left():
                return None
            self.claimed.add(pending[-1].key)
            return pending[-1]

    def _work(self) -> None:
        while not self.halt.is_set():
            sp = self._claim()
            if sp is None:
                self.halt.wait(TICK_S)
                continue
            try:
                self.results[sp.key] = solve_greedy_only(sp)
            except Exception:  # computed again by the caller, where the error shows
                return

    def stop(self) -> dict[str, SubResult]:
        """Stop after the sub-problem in progress; the greedy results computed so far."""
        self.halt.set()
        self.thread.join()
        return dict(self.results)


class _State:
    """Assignment of blocks to grappes across phases, and the figures of each sub-problem."""

    def __init__(self, prep: Prepared, pool: DyingPool | None = None) -> None:
        self.prep = prep
        self.pool = pool
        self.block_grappe: dict[int, tuple[str | None, int]] = {}
        self.stats: list[SubproblemStats] = []
        self.unsolved: set[int] = set()
        self.cut_short = False
        #: block -> key of the sub-problem that solved it (the seams of `solver.seams`)
        self.origin: dict[int, str] = {}
        #: CP-SAT deterministic time spent by the sub-problems
        self.cp_work = 0.0

    def run(
        self,
        subs: list[Subproblem],
        deadline: Deadline,
        report: Progress,
        lo: float,
        hi: float,
    ) -> None:
        """Solve sub-problems largest first, in parallel when num_workers > 1, by `deadline`.

        CP-SAT must stop by the deadline less the reserve (`RESERVE_SHARE`); a sub-problem not
        started by then, or still running at the deadline (its worker is killed), gets its
        greedy warm start only."""
        params = self.prep.params
        subs = sorted(subs, key=lambda sp: (-len(sp.arcs), sp.key))
        total = sum(len(sp.arcs) for sp in subs) or 1
        done = 0
        by_key = {sp.key: sp for sp in subs}
        solve_by = deadline.before(RESERVE_SHARE * deadline.limit_s)
        message = f"{len(subs)} sous-problèmes à résoudre"

        def finish(result: SubResult) -> None:
            nonlocal done, message
            sp = by_key[result.key]
            self._record(sp, result)
            done += len(sp.arcs)
            covered = sum(self.prep.blocks[b].weight for b in self.block_grappe)
            message = (
                f"Sous-problème {sp.key} résolu ({sp.n_candidates} ESSMS, {result.status}, "
                f"écart {100 * self.stats[-1].gap:.1f} %) — couverture provisoire "
                f"{100 * covered / max(1, len(self.prep.candidates)):.1f} %"
            )
            report(lo + (hi - lo) * done / total, message)

        def arm(sp: Subproblem) -> Subproblem:
            sp.wall_limit_s = min(
                solve_by.left(), sp.budget_s * WALL_GUARD_FACTOR + WALL_GUARD_SLACK_S
            )
            return sp

        queue = list(subs)
        greedy_done: dict[str, SubResult] = {}
        if params.num_workers == 1 or len(subs) <= 1:
            while queue and solve_by.left() > 0:
                finish(solve_subproblem(arm(queue.pop(0))))
        else:
            tail = _GreedyTail(queue, solve_by, params.num_workers)
            # the solve's pool stays alive for the seam windows (solver.seams) unless it had
            # to be killed; a pool made here dies here
            pool = self.pool or DyingPool(params.num_workers)
            try:
                running: dict[Future[SubResult], Subproblem] = {}
                while True:
                    while len(running) < params.num_workers and solve_by.left() > 0:
                        next_sp = tail.pop_first()
                        if next_sp is None:
                            break
                        running[pool.submit(solve_subproblem, arm(next_sp))] = next_sp
                    if not running:
                        break
                    finished, _ = wait(running, timeout=TICK_S, return_when=FIRST_COMPLETED)
                    for fut in sorted(finished, key=lambda f: running[f].key):
                        del running[fut]
                        finish(fut.result())
                    if running and deadline.passed():
                        pool.terminate()
                        queue[:0] = sorted(running.values(), key=lambda sp: sp.key)
                        break
                    if not finished:
                        report(lo + (hi - lo) * done / total, message)
                if queue and not running:  # the workers are alive and idle (or starting)
                    greedy_done = tail.stop()
                    todo = [sp for sp in queue if sp.key not in greedy_done]
                    greedy_done.update(
                        _greedy_everywhere(
                            pool, todo, lambda: report(lo + (hi - lo) * done / total, message)
                        )
                    )
                if pool is not self.pool or queue or running:
                    pool.terminate()  # not needed any more (or past the deadline): killed
                    self.pool = None
            except BaseException:
                pool.terminate()
                self.pool = None
                raise
            finally:
                greedy_done.update(tail.stop())
        # Not started (or not finished) in time: the greedy warm start only.
        for sp in queue:
            self.cut_short = True
            finish(greedy_done.get(sp.key) or solve_greedy_only(sp))

    def _record(self, sp: Subproblem, result: SubResult) -> None:
        gap = _gap(result.objective, result.best_bound)
        self.cut_short |= result.cut_short
        self.stats.append(
            SubproblemStats(
                key=sp.key,
                editor=sp.editor,
                n_candidates=sp.n_candidates,
                n_blocks=len(sp.blocks),
                n_arcs=len(sp.arcs),
                status=result.status,
                objective=result.objective,
                best_bound=result.best_bound,
                gap=gap,
                wall_time_s=result.wall_time_s,
                heuristic_objective=result.heuristic_objective,
                locks_relaxed=result.locks_relaxed,
            )
        )
        if result.status not in ("OPTIMAL", "FEASIBLE") and not any(c != -1 for c in result.assign):
            for gb in sp.blocks:
                self.unsolved.update(self.prep.blocks[gb].members)
        self.cp_work += result.deterministic_time
        for gb in sp.blocks:
            self.origin[gb] = sp.key
        for lb, c in enumerate(result.assign):
            if c != -1:
                self.block_grappe[sp.blocks[lb]] = (sp.centre_editor[c], sp.centres[c])

    def release_pool(self) -> None:
        """Kill the workers now (their memory is freed before the global bound)."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None

    def grappe_members(self) -> dict[tuple[str | None, int], list[int]]:
        """(editor, centre candidate) -> member candidate positions."""
        out: dict[tuple[str | None, int], list[int]] = defaultdict(list)
        for b, key in self.block_grappe.items():
            out[key].extend(self.prep.blocks[b].members)
        return out

    def assemble(
        self,
        previous: Solution | None,
        bound_by: Deadline,
        deadline: Deadline,
    ) -> Solution:
        """Build the `Solution`: grappes with centre, distances and carrier; explanations
        (without near-miss grappes past `bound_by`); the global lower bound, computed until
        `bound_by` (past it: the trivial bound)."""
        time_limit = deadline.limit_s
        prep = self.prep
        params = prep.params
        cands = prep.candidates
        groups = self.grappe_members()
        used_keys = {fg.key for fg, _ in prep.frozen} | {
            b.key for b in prep.blocks if b.key is not None
        }
        block_key: dict[tuple[str | None, int], str] = {}
        for b, gkey in self.block_grappe.items():
            if prep.blocks[b].key is not None:
                block_key[gkey] = prep.blocks[b].key  # type: ignore[assignment]
        grappes: list[Grappe] = []
        for fg, members in prep.frozen:
            grappes.append(make_grappe(prep, fg.key, fg.editor, members, None, frozen=True))
        ordered = sorted(groups.items(), key=lambda kv: (kv[0][0] or "", cands[kv[0][1]].finess_et))
        kept = _previous_keys(prep, previous, ordered, block_key, used_keys)
        used_keys |= set(kept.values())
        counter = 0
        for (editor, centre), members in ordered:
            key = block_key.get((editor, centre)) or kept.get((editor, centre))
            if key is None:
                counter += 1
                while f"G{counter:04d}" in used_keys:
                    counter += 1
                key = f"G{counter:04d}"
            grappes.append(make_grappe(prep, key, editor, sorted(members), centre))
        covered = {m.finess_et for g in grappes for m in g.members}
        uncovered = [
            i
            for i, c in enumerate(cands)
            if c.finess_et not in covered and i not in prep.exclusions
        ]
        exclusions: dict[int, Exclusion] = dict(prep.exclusions)
        late: list[bool] = []

        def expired() -> bool:
            if bound_by.passed():
                late.append(True)
            return bool(late)

        exclusions.update(explain_uncovered(prep, uncovered, grappes, self.unsolved, expired))
        statuses = {"PARTIAL" if s.locks_relaxed else s.status for s in self.stats}
        if not self.stats or statuses == {"OPTIMAL"}:
            status = "OPTIMAL"
        elif statuses <= {"OPTIMAL", "FEASIBLE", HEURISTIC_ONLY}:
            status = "FEASIBLE"
        else:
            status = "PARTIAL"
        objective = float(solution_objective(prep, grappes))
        bound = sum(s.best_bound for s in self.stats)
        decomposed = sum(s.objective for s in self.stats)
        # perf_counter time (the bound's clock)
        bound_at = time.perf_counter() + max(0.0, bound_by.left())
        global_bound = global_lower_bound(prep, bound_at, objective)
        # explanations or bound out of time: the solution says so
        self.cut_short |= bool(late) or not np.isfinite(global_bound.combinatorial)
        return Solution(
            status=status,
            grappes=tuple(grappes),
            exclusions=tuple(exclusions[i] for i in sorted(exclusions)),
            subproblems=tuple(sorted(self.stats, key=lambda s: s.key)),
            objective=objective,
            best_bound=bound,
            gap=_gap(decomposed, bound),
            n_candidates=len(cands),
            coverage=len(covered) / len(cands) if cands else 0.0,
            wall_time_s=deadline.elapsed(),
            params=params,
            global_bound=global_bound.value,
            global_gap=_gap(objective, min(global_bound.value, objective)),
            cut_short=self.cut_short,
            time_limit_s=time_limit,
            n_uncoverable=global_bound.n_uncoverable,
        )


def _previous_keys(
    prep: Prepared,
    previous: Solution | None,
    ordered: list[tuple[tuple[str | None, int], list[int]]],
    block_key: dict[tuple[str | None, int], str],
    used: set[str],
) -> dict[tuple[str | None, int], str]:
    """Keep the key of a previous grappe for the new grappe holding most of its members (at
    least half of them), so that a re-solve does not rename grappes people already discuss."""
    if previous is None:
        return {}
    key_of = {m.finess_et: g.key for g in previous.grappes if not g.frozen for m in g.members}
    sizes = {g.key: g.size for g in previous.grappes}
    kept: dict[tuple[str | None, int], str] = {}
    taken = set(used)
    for gid, members in ordered:
        if gid in block_key:
            continue
        votes: dict[str, int] = defaultdict(int)
        for i in members:
            k = key_of.get(prep.candidates[i].finess_et)
            if k is not None and k not in taken:
                votes[k] += 1
        best = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        if best and 2 * best[0][1] >= sizes[best[0][0]]:
            kept[gid] = best[0][0]
            taken.add(best[0][0])
    return kept


def _gap(objective: float, bound: float) -> float:
    """Relative gap (objective - bound) / |objective|, 0 when both are 0."""
    if objective == 0:
        return 0.0 if bound >= 0 else 1.0
    return max(0.0, (objective - bound) / abs(objective))


def solve_greedy_only(sp: Subproblem) -> SubResult:
    """A sub-problem started after the deadline: the greedy warm start, no CP-SAT."""
    start = time.perf_counter()
    assign = greedy(sp)
    if not is_feasible(sp, assign):
        assign = [-1] * len(sp.blocks)
    value = float(heuristic_objective(sp, assign))
    return SubResult(
        key=sp.key,
        assign=assign,
        status=HEURISTIC_ONLY,
        objective=value,
        best_bound=float(min(value, -sp.carrier_bonus * len(sp.centres))),
        wall_time_s=time.perf_counter() - start,
        heuristic_objective=value,
        cut_short=True,
    )


def _greedy_everywhere(
    pool: DyingPool, todo: list[Subproblem], tick: Callable[[], None]
) -> dict[str, SubResult]:
    """The greedy start of `todo` computed by the pool's workers and by this process at the
    same time (this process takes from the end of the queue what no worker has started): at
    high load each process gets its share of the CPU, so this is about three times faster
    than this process alone. `tick` is called at least every `TICK_S` (a cancel)."""
    results: dict[str, SubResult] = {}
    pending = {pool.submit(solve_greedy_only, sp): sp for sp in todo}
    local = list(pending)
    while pending:
        while local:
            fut = local.pop()
            if fut.cancel():
                sp = pending.pop(fut)
                results[sp.key] = solve_greedy_only(sp)
                tick()
                break
        else:
            finished, _ = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
            if not finished:
                tick()
        for fut in [f for f in pending if f.done()]:
            sp = pending.pop(fut)
            results[sp.key] = fut.result()
    return results


def _insert_left_out(state: _State, deadline: Deadline) -> None:
    """A block left out joins the closest grappe with room when the distance costs less than
    its penalty (respecting editor, max size, max distance, reduced minimum and apart locks).

    It repairs what the decomposition hides: arcs limited to the k nearest centres, cuts
    between sub-problems, and flexible ESSMS whose editor sub-problem left them out (these may
    join a grappe of any editor).
    """
    prep = state.prep
    params = prep.params
    groups = state.grappe_members()
    keys = sorted(groups, key=lambda k: (k[0] or "", k[1]))
    left = [b for b in prep.blocks if b.key is None and b.index not in state.block_grappe]
    if not keys or not left:
        return
    size = {k: len(groups[k]) for k in keys}
    members = {k: set(groups[k]) for k in keys}
    apart: dict[int, set[int]] = defaultdict(set)
    for one, other in prep.apart_pairs:
        apart[one].add(other)
        apart[other].add(one)
    pools: dict[str | None, list[tuple[str | None, int]]] = {None: keys}
    for k in keys:
        if k[0] is not None:
            pools.setdefault(k[0], []).append(k)
    trees = {e: geo.build_tree(prep.points[[k[1] for k in ks]]) for e, ks in pools.items()}
    left.sort(key=lambda b: (-b.penalty, b.index))
    for b in left:
        if deadline.passed():
            state.cut_short = True
            return
        editor = None if b.flexible else b.editor
        if editor not in pools:
            continue
        pool = pools[editor]
        _, near = geo.knn(trees[editor], prep.points[[b.members[0]]], min(INSERT_LOOKUP, len(pool)))
        best = None
        for j in near[0]:
            k = pool[int(j)]
            centre = k[1]
            if size[k] + b.weight > params.max_size:
                continue
            if prep.reduced[centre] and not b.reduced:
                continue
            if any(apart[i] & members[k] for i in b.members):
                continue
            d = geo.pairwise_km(prep.points[b.members], prep.points[[centre]])[:, 0]
            if params.max_distance_km is not None and d.max() > params.max_distance_km:
                continue
            cost = params.distance_weight * int(np.rint(d * 10).sum())
            cost += params.preference_penalty * b.unwanted(k[0])
            if cost < b.penalty and (best is None or cost < best[0]):
                best = (cost, k)
        if best is not None:
            k = best[1]
            state.block_grappe[b.index] = k
            size[k] += b.weight
            members[k].update(b.members)


def _regroup_left_out(state: _State, deadline: Deadline) -> None:
    """Blocks still left out form new grappes among themselves (coverage first).

    For each editor, a seed block bound to it (west-most first) forms the cheapest grappe it
    can with blocks still left out that may join it (bound to that editor, or flexible),
    centred on a member of the seed or of a nearby block, an ESSMS without DUI included
    (`_gather`); then flexible blocks alone do the same for open grappes when they are
    allowed. A seed that cannot reach the minimum is skipped.
    """
    prep = state.prep
    params = prep.params
    left = [b for b in prep.blocks if b.key is None and b.index not in state.block_grappe]
    if not left:
        return
    apart: dict[int, set[int]] = defaultdict(set)
    for one, other in prep.apart_pairs:
        apart[one].add(other)
        apart[other].add(one)
    flexible = [b for b in left if b.flexible]
    by_editor: dict[str | None, list[Block]] = defaultdict(list)
    for b in left:
        if not b.flexible:
            by_editor[b.editor].append(b)
    rounds: list[tuple[str | None, list[Block]]] = [
        (e, by_editor[e]) for e in sorted(by_editor, key=lambda e: e or "")
    ]
    if params.allow_open_grappes:
        rounds.append((None, flexible))
    taken: set[int] = set()
    for editor, seeds in rounds:
        failed: set[int] = set()
        while True:
            if deadline.passed():
                state.cut_short = True
                return
            open_seeds = [b for b in seeds if b.index not in taken and b.index not in failed]
            if not open_seeds:
                break
            pool = [
                b for b in (seeds if editor is None else seeds + flexible) if b.index not in taken
            ]
            seed = min(open_seeds, key=lambda b: (prep.points[b.members[0], 1], b.index))
            minimum = min(params.min_size, params.min_size_overseas)
            if sum(b.weight for b in pool) < minimum:
                break
            grappe = _gather(prep, seed, pool, apart)
            if grappe is None:
                failed.add(seed.index)
                continue
            centre, take = grappe
            # the round's editor, also when the centre is an ESSMS without DUI
            key = (editor if editor is not None else centre_editor(prep, centre), centre)
            for b in take:
                state.block_grappe[b.index] = key
                taken.add(b.index)


def _gather(
    prep: Prepared, seed: Block, pool: list[Block], apart: dict[int, set[int]]
) -> tuple[int, list[Block]] | None:
    """The cheapest grappe of `seed` and blocks of `pool` reaching the minimum size: its
    centre and blocks, None if none does.

    The centre is any member of the seed or of the `REGROUP_CENTRES` pool blocks nearest to
    it (an ESSMS without DUI may head a grappe of the seed's editor); around each, the
    closest blocks join until the minimum is reached, within the maximum size, the distance
    limit, the reduced minimum rule (a Corsica/overseas centre takes only such ESSMS) and
    apart locks.
    """
    params = prep.params
    max_d = params.max_distance_km
    to_seed = _block_distances(prep, pool, seed.members[0])
    nearest = sorted(range(len(pool)), key=lambda j: (float(to_seed[j].min()), pool[j].index))
    # a grappe is at most max_size ESSMS: its blocks are among the seed's nearest ones
    pool = [seed] + [pool[j] for j in nearest[: REGROUP_LOCAL_SIZES * params.max_size]]
    pool = list({b.index: b for b in pool}.values())
    heads = [seed] + [b for b in pool[1 : REGROUP_CENTRES + 1]]
    best: tuple[int, int, list[Block]] | None = None
    for head in heads:
        for centre in head.members:
            minimum = params.min_size_overseas if prep.reduced[centre] else params.min_size
            d = _block_distances(prep, pool, centre)
            reach = {pool[j].index: float(d[j].max()) for j in range(len(pool))}
            cost = {pool[j].index: int(np.rint(d[j] * 10).sum()) for j in range(len(pool))}
            take: list[Block] = []
            total, banned = 0, set[int]()
            order = [seed] if head is seed else [seed, head]
            order += sorted(
                (b for b in pool if b is not seed and b is not head),
                key=lambda b: (reach[b.index], b.index),
            )
            for position, b in enumerate(order):
                fits = (
                    total + b.weight <= params.max_size
                    and not (prep.reduced[centre] and not b.reduced)
                    and (max_d is None or reach[b.index] <= max_d)
                    and not banned & set(b.members)
                )
                if not fits:
                    if position < (1 if head is seed else 2):
                        break  # the seed and the centre's block must be in
                    continue
                take.append(b)
                total += b.weight
                banned |= apart_members(b, apart)
                if total >= minimum:
                    break
            if total < minimum or len(take) < (1 if head is seed else 2):
                continue
            spent = sum(cost[b.index] for b in take)
            if best is None or spent < best[0]:
                best = (spent, centre, take)
    return None if best is None else (best[1], best[2])


def apart_members(block: Block, apart: dict[int, set[int]]) -> set[int]:
    """Candidates a block must stay apart from."""
    out: set[int] = set()
    for i in block.members:
        out |= apart.get(i, set())
    return out


def _pull_flexible(state: _State, deadline: Deadline) -> None:
    """An editor group left out because it is short of the minimum pulls in the nearest
    ESSMS without DUI that can move: left out, or in a grappe that keeps its minimum without
    them (never a grappe's centre). It happens only when the ESSMS it covers are worth more
    than the distances it adds (coverage first), and within every hard rule (maximum size,
    distance limit, reduced minimum, apart locks)."""
    prep = state.prep
    params = prep.params
    left = [b for b in prep.blocks if b.key is None and b.index not in state.block_grappe]
    by_editor: dict[str, list[Block]] = defaultdict(list)
    for b in left:
        if not b.flexible and b.editor is not None:
            by_editor[b.editor].append(b)
    if not by_editor:
        return
    apart: dict[int, set[int]] = defaultdict(set)
    for one, other in prep.apart_pairs:
        apart[one].add(other)
        apart[other].add(one)
    flexible = [b for b in prep.blocks if b.flexible and b.key is None]
    for editor in sorted(by_editor, key=lambda e: (-sum(b.weight for b in by_editor[e]), e)):
        if deadline.passed():
            state.cut_short = True
            return
        group = by_editor[editor]
        seed = max(group, key=lambda b: (b.weight, -b.index))
        centre = seed.members[0]
        minimum = params.min_size_overseas if prep.reduced[centre] else params.min_size
        sizes: dict[tuple[str | None, int], int] = defaultdict(int)
        for block_index, key in state.block_grappe.items():
            sizes[key] += prep.blocks[block_index].weight
        take: list[Block] = []
        banned: set[int] = set()
        total, gain, cost = 0, 0, 0
        pool = group + flexible
        first = geo.pairwise_km(prep.points[[b.members[0] for b in pool]], prep.points[[centre]])[
            :, 0
        ]
        pool = [pool[j] for j in np.lexsort((np.asarray([b.index for b in pool]), first))]
        for b in pool:
            if total >= minimum and not (not b.flexible and b.editor == editor):
                continue
            if total + b.weight > params.max_size or banned & set(b.members):
                continue
            if prep.reduced[centre] and not b.reduced:
                continue
            d = geo.pairwise_km(prep.points[b.members], prep.points[[centre]])[:, 0]
            if params.max_distance_km is not None and d.max() > params.max_distance_km:
                continue
            source = state.block_grappe.get(b.index)
            if source is not None:
                source_min = (
                    params.min_size_overseas if prep.reduced[source[1]] else params.min_size
                )
                if b.flexible is False or centre in b.members:
                    continue
                if source[1] in b.members or sizes[source] - b.weight < source_min:
                    continue
            if source is not None:
                sizes[source] -= b.weight
            take.append(b)
            total += b.weight
            banned |= apart_members(b, apart)
            cost += params.distance_weight * int(np.rint(d * 10).sum())
            if source is None:
                gain += b.penalty
        if total < minimum or gain <= cost:
            continue
        for b in take:
            state.block_grappe[b.index] = (editor, centre)


def _block_distances(prep: Prepared, blocks: list[Block], centre: int) -> list[np.ndarray]:
    """Distances (km) of every member of each block to `centre`, in one vectorised call."""
    if not blocks:
        return []
    members = [i for b in blocks for i in b.members]
    d = geo.pairwise_km(prep.points[members], prep.points[[centre]])[:, 0]
    cuts = np.cumsum([b.weight for b in blocks])[:-1]
    return np.split(d, cuts)
