"""How long the ``grappes`` command takes to start (issue 14: ``grappes --help`` and the
light commands ≤ 1 s). Not a test: wall time of fresh processes, median of ``--repeat``.

Each command runs as ``python -m matchmaker ARGS`` in a new interpreter (what the
``grappes`` script does), with a throw-away SQLite database and secret; the interpreter's
bare start (``python -c pass``) is measured alongside as the floor. ``--source DIR`` runs
another checkout's ``matchmaker`` with this virtualenv (for a before/after on the same
machine and load, e.g. ``git archive main | tar -x -C /tmp/before``). Bytecode is cached
as in an installed package: ``PYTHONDONTWRITEBYTECODE`` is dropped for the runs (with it,
every start recompiles the project's modules, which costs more than importing them).

    .venv/bin/python bench/bench_cli.py [--repeat 10] [--source DIR] [--output FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (label, arguments of ``grappes``): the help and the commands that need no database.
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grappes --help", ("--help",)),
    ("grappes solve --help", ("solve", "--help")),
    ("grappes settings", ("settings",)),
    ("grappes funding (one estimate)", ("funding", "--type", "acquisition", "--essms", "20")),
    ("grappes db current (the app without its pages)", ("db", "current")),
)


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def wall_times(argv: list[str], repeat: int, env: dict[str, str], cwd: Path) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def measure(repeat: int, source: Path) -> list[tuple[str, list[float]]]:
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        env = {
            **os.environ,
            "GRAPPES_SECRET_KEY": "bench-cli",
            "GRAPPES_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "PYTHONPATH": str(source),
        }
        env.pop("REDIS_URL", None)
        # As an installed package runs: with its bytecode cached (``pip`` compiles it;
        # the warm-up run below writes the checkout's), not recompiling every module.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        results = [
            (
                "python -c pass (floor)",
                wall_times([sys.executable, "-c", "pass"], repeat, env, source),
            )
        ]
        for label, args in COMMANDS:
            argv = [sys.executable, "-m", "matchmaker", *args]
            subprocess.run(argv, env=env, cwd=source, check=True, capture_output=True)  # warm
            results.append((label, wall_times(argv, repeat, env, source)))
    return results


def table(results: list[tuple[str, list[float]]]) -> str:
    lines = ["| command | median | min | max |", "|---|---:|---:|---:|"]
    for label, times in results:
        lines.append(
            f"| {label} | {statistics.median(times):.2f} s "
            f"| {min(times):.2f} s | {max(times):.2f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per command (median)")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument("--output", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    before = load_average()
    results = measure(args.repeat, args.source.resolve())
    after = load_average()
    text = (
        f"`bench/bench_cli.py --repeat {args.repeat}` on {args.source.resolve()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores; load average {before} before, {after} after.\n\n"
        f"{table(results)}\n"
    )
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
