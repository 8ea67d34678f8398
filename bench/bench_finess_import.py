"""Benchmark: import a national-size synthetic FINESS extract into a fresh SQLite file.

    .venv/bin/python bench/bench_finess_import.py [--size 100000] [--seed 2026]

Generates a seeded cs1100507 extract (about 100,000 establishments and their
geolocalisation lines) and its cs1100501 EJ file, creates the schema with
``Base.metadata.create_all``, then imports twice, each import in a fresh child process
so that its wall time and peak memory (``ru_maxrss``) are its own: the first import, then
the unchanged re-import. Targets (issue 2): first import ≤ 60 s and ≤ 1 GB, re-import
≤ 30 s. Prints a markdown table and writes it to ``bench/results/finess-import.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importers.synthetic import generate  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "finess-import.md"
TARGET_FIRST_S = 60.0
TARGET_MEMORY_MB = 1024.0
TARGET_REIMPORT_S = 30.0


def _import_once(url: str, path: str, ej_path: str, queue: multiprocessing.Queue) -> None:
    """Child process: one import, committed; report wall time, peak RSS and counts."""
    from sqlalchemy.orm import Session

    from matchmaker.extensions import make_engine
    from matchmaker.imports.finess import import_finess

    engine = make_engine(url)
    start = time.perf_counter()
    with Session(engine) as session:
        outcome = import_finess(session, Path(path), ej_path=Path(ej_path))
        session.commit()
        row = outcome.finess_import
        assert row is not None
        counts = (
            row.created_count,
            row.updated_count,
            row.closed_count,
            row.unchanged_count,
            row.rejected_count,
        )
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((wall, peak_mb, counts))


def run_import(url: str, path: Path, ej_path: Path) -> tuple[float, float, tuple[int, ...]]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_import_once, args=(url, str(path), str(ej_path), queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"import failed (exit code {process.exitcode})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-save", action="store_true", help="Do not write the results file.")
    args = parser.parse_args()

    from matchmaker.extensions import make_engine
    from matchmaker.models import Base

    with tempfile.TemporaryDirectory(prefix="bench-finess-") as folder:
        work = Path(folder)
        start = time.perf_counter()
        extract = generate(work, size=args.size, seed=args.seed, regions=None)
        generation = time.perf_counter() - start
        lines = sum(1 for _ in extract.establishments_path.open("rb"))
        megabytes = extract.establishments_path.stat().st_size / 1e6
        url = f"sqlite:///{work / 'bench.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        first = run_import(url, extract.establishments_path, extract.ej_path)
        second = run_import(url, extract.establishments_path, extract.ej_path)

    def verdict(ok: bool) -> str:
        return "ok" if ok else "**MISSED**"

    table = [
        f"# FINESS import benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Synthetic national extract: {len(extract.establishments):,} establishments, "
        f"{len(extract.organisations):,} organisations, {lines:,} lines, {megabytes:.1f} MB "
        f"(seed {args.seed}; generated in {generation:.1f} s). SQLite file, schema by "
        f"`create_all`; each import in a fresh process. Python {platform.python_version()}, "
        f"{multiprocessing.cpu_count()} cores.",
        "",
        "| step | wall (s) | peak RSS (MB) | new / updated / closed / unchanged / rejected "
        "| target | verdict |",
        "|---|---:|---:|---|---|---|",
        f"| first import (with EJ file) | {first[0]:.1f} | {first[1]:.0f} | "
        f"{' / '.join(map(str, first[2]))} | ≤ {TARGET_FIRST_S:.0f} s, ≤ 1 GB | "
        f"{verdict(first[0] <= TARGET_FIRST_S and first[1] <= TARGET_MEMORY_MB)} |",
        f"| re-import, unchanged | {second[0]:.1f} | {second[1]:.0f} | "
        f"{' / '.join(map(str, second[2]))} | ≤ {TARGET_REIMPORT_S:.0f} s | "
        f"{verdict(second[0] <= TARGET_REIMPORT_S and second[1] <= TARGET_MEMORY_MB)} |",
        "",
    ]
    text = "\n".join(table)
    print(text)
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
