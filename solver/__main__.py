"""`python -m solver instance.json [--out result.json]`: solve, validate, summarise in French."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from solver.core import solve
from solver.io import dump_solution, load_instance
from solver.types import Solution
from solver.validate import validate


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (1 when validation finds a violation)."""
    parser = argparse.ArgumentParser(
        prog="python -m solver", description="Forme des grappes d'ESSMS (CP-SAT)."
    )
    parser.add_argument("instance", type=Path, help="fichier JSON de l'instance")
    parser.add_argument("--out", type=Path, help="fichier JSON du résultat")
    parser.add_argument("--quiet", action="store_true", help="sans barre de progression")
    args = parser.parse_args(argv)
    instance = load_instance(args.instance)

    def progress(fraction: float, message: str) -> None:
        if not args.quiet:
            print(f"[{100 * fraction:5.1f} %] {message}", file=sys.stderr, flush=True)

    solution = solve(
        instance.candidates, instance.params, instance.locks, instance.previous, progress
    )
    violations = validate(instance.candidates, instance.params, instance.locks, solution)
    print(summary(solution))
    for v in violations:
        print(f"VIOLATION {v.rule} ({v.subject}) : {v.message}", file=sys.stderr)
    if args.out:
        dump_solution(args.out, solution)
        print(f"Résultat écrit dans {args.out}")
    return 1 if violations else 0


def summary(solution: Solution) -> str:
    """A few French lines: status, grappes, coverage, distances, gap, reasons left out."""
    covered = sum(g.size for g in solution.grappes)
    km = sum(g.total_km for g in solution.grappes)
    reasons = Counter(e.reason_code for e in solution.exclusions)
    lines = [
        f"Statut : {solution.status}",
        f"Grappes : {len(solution.grappes)} ; ESSMS couverts : {covered} / "
        f"{solution.n_candidates} ({100 * solution.coverage:.1f} %)",
        f"Distance moyenne au centre : {km / covered:.1f} km" if covered else "Aucune grappe",
        f"Objectif : {solution.objective:.0f} ; borne globale : {solution.global_bound:.0f} "
        f"(écart {100 * solution.global_gap:.2f} %) ; borne du modèle décomposé : "
        f"{solution.best_bound:.0f} (écart {100 * solution.gap:.2f} %)",
        f"Durée : {solution.wall_time_s:.1f} s sur {solution.time_limit_s:.0f} s"
        + (
            " (interrompu par la limite de temps : meilleure solution gardée)"
            if solution.cut_short
            else ""
        ),
    ]
    lines += [f"  exclus ({code}) : {n}" for code, n in sorted(reasons.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
