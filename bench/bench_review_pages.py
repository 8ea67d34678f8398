"""Server-side work of the console run and grappe pages on a generated national run
(issue 14), the way the pages did it before (every grappe's view) and do it now (the
shown page's views, figures from aggregates; one grappe's view).

    .venv/bin/python bench/bench_review_pages.py [--grappes 1500] [--size 20] [--left-out 5000]

SQLite in a temporary folder (or ``GRAPPES_TEST_DATABASE_URL``); the data is the one the
map tests use (``tests/support/mapdata.py``). Prints one line per measure (median of ``--repeat``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from matchmaker import create_app
from matchmaker.campaigns import exports, figures
from matchmaker.extensions import db
from matchmaker.grappes import read_model
from matchmaker.models import Establishment, RunCandidate, SolverRun
from tests.factories import make_campaign
from tests.helpers import scratch_database
from tests.support.mapdata import generate

PAGE = 100


def timed(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        db.session.expire_all()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grappes", type=int, default=1500)
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--left-out", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="a run stored before snapshots (facts read from today's data)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_database(Path(folder), "bench") as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
        with app.app_context():
            campaign = make_campaign(db.session, "Nationale", region="53")
            run = SolverRun(campaign_id=campaign.id, status="succeeded", candidate_count=0)
            db.session.add(run)
            db.session.flush()
            start = time.perf_counter()
            generate(db.session, run, args.grappes, args.size, args.left_out)
            if not args.no_snapshot:
                rows = db.session.execute(
                    select(
                        Establishment.finess_et, Establishment.finess_ej, Establishment.department
                    )
                ).all()
                db.session.execute(
                    insert(RunCandidate),
                    [
                        {
                            "run_id": run.id,
                            "finess_et": et,
                            "finess_ej": ej,
                            "department": dep,
                            "small_og": n % 3 == 0,
                        }
                        for n, (et, ej, dep) in enumerate(rows)
                    ],
                )
                db.session.commit()
            print(f"generated in {time.perf_counter() - start:.1f} s", flush=True)
            run = db.session.get(SolverRun, run.id)
            assert run is not None
            one = run.grappes[len(run.grappes) // 2]

            def run_page_before() -> None:
                views = read_model.grappe_views(db.session, run)
                figures.run_figures(
                    run,
                    (
                        sum(len(v.members) for v in views),
                        sum(1 for v in views for m in v.members if m.small_og),
                    ),
                )

            def run_page_after() -> None:
                read_model.grappe_views(db.session, run, grappes=run.grappes[:PAGE])
                figures.run_figures(run, read_model.member_counts(db.session, run))

            def grappe_page_before() -> None:
                next(v for v in read_model.grappe_views(db.session, run) if v.grappe.id == one.id)

            def grappe_page_after() -> None:
                read_model.grappe_view(db.session, one)

            def run_csv_whole() -> None:
                exports.run_csv(
                    read_model.grappe_views(db.session, run), read_model.left_out(db.session, run)
                )

            def run_csv_first_piece() -> None:
                batch = (
                    v for v in read_model.grappe_views(db.session, run, grappes=run.grappes[:20])
                )
                next(exports.run_csv_chunks(batch, []))

            print(f"load average {os.getloadavg()}")
            for name, work in (
                ("run page views+figures, before", run_page_before),
                ("run page views+figures, after", run_page_after),
                ("grappe page view, before", grappe_page_before),
                ("grappe page view, after", grappe_page_after),
                ("run CSV whole file", run_csv_whole),
                ("run CSV streamed, first piece", run_csv_first_piece),
            ):
                print(f"{name}: {timed(work, args.repeat):.3f} s", flush=True)
            print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
