"""Benchmark: the ARS desk's dashboard of the largest region on a national-size database.

Target (issue 8): under 500 ms of server time for the dashboard of the largest region,
with the national FINESS loaded. Steps, only the last ones timed:

1. a fresh database (SQLite file by default, or ``--database-url``) with the schema;
2. a national synthetic FINESS (``importers.synthetic``, default 100,000 establishments)
   imported with the FINESS importer;
3. embarkation lists bulk-inserted: a share of the ESSMS in ESMS numérique, in SONS, in
   both (seeded), and a contact log of a few thousand actions in the largest region;
4. timed, ``--repeat`` times each: ``build_dashboard`` alone (the SQL aggregates), then the
   whole ``GET /ars/`` request through the Flask test client (queries, map data,
   template), for the region and for its largest department; the non-embarked page
   (``GET /ars/non-embarques``, BallTree scoring of the whole region) is measured too,
   for information (no target).

Run: ``.venv/bin/python bench/bench_ars.py`` (writes ``bench/results/ars.md``, or
``--output``);
``--size 20000`` for a quick run; ``--database-url postgresql+psycopg://…`` for PostgreSQL
(its tables are dropped and created: give it a database or a schema of its own, e.g.
``…/test?options=-csearch_path%3Dbench_ars``).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from importers.geography import REGIONS  # noqa: E402
from importers.synthetic import generate  # noqa: E402
from matchmaker import create_app  # noqa: E402
from matchmaker.ars.dashboard import build_dashboard  # noqa: E402
from matchmaker.auth import services as auth_services  # noqa: E402
from matchmaker.extensions import db, make_engine  # noqa: E402
from matchmaker.imports.finess import import_finess  # noqa: E402
from matchmaker.models import (  # noqa: E402
    Base,
    ContactAction,
    Embarkation,
    Establishment,
    Role,
)
from matchmaker.models.contacts import CHANNELS, STAGES  # noqa: E402

TARGET_MS = 500.0
RESULTS = ROOT / "bench" / "results" / "ars.md"
PASSWORD = "bench-password-1"


def load_database(session: Session, work: Path, size: int, seed: int) -> str:
    """The national synthetic FINESS, embarkation lists and a contact log; returns the
    largest region's code."""
    extract = generate(work / "finess", size=size, seed=seed, regions=None)
    import_finess(session, extract.establishments_path, ej_path=extract.ej_path)
    session.commit()
    rng = random.Random(seed)
    essms = session.execute(
        select(Establishment.finess_et, Establishment.finess_ej, Establishment.region).where(
            Establishment.is_essms.is_(True), Establishment.is_open.is_(True)
        )
    ).all()
    rows: list[dict[str, object]] = []
    for finess_et, _ej, _region in essms:
        draw = rng.random()
        if draw < 0.35:
            rows.append({"finess_et": finess_et, "scheme": "esms_numerique"})
        if 0.30 < draw < 0.45:
            rows.append({"finess_et": finess_et, "scheme": "sons", "editor_raw": "EDITEUR"})
    session.execute(insert(Embarkation), rows)
    by_region: dict[str, int] = {}
    for _et, _ej, region in essms:
        if region:
            by_region[region] = by_region.get(region, 0) + 1
    largest = max(by_region, key=lambda code: by_region[code])
    in_region = [(et, ej) for et, ej, region in essms if region == largest]
    actions = [
        {
            "region": largest,
            "finess_et": et,
            "finess_ej": ej,
            "acted_on": date(2026, 11, 1 + index % 20),
            "channel": CHANNELS[index % len(CHANNELS)],
            "stage": STAGES[index % len(STAGES)],
            "is_current": True,
        }
        for index, (et, ej) in enumerate(rng.sample(in_region, min(3000, len(in_region))))
    ]
    session.execute(insert(ContactAction), actions)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # What autovacuum does on a live server after a bulk load; SQLite runs without
        # statistics (the worst case).
        session.execute(text("ANALYZE"))
        session.commit()
    return largest


def timings(function: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median, p95, max) in milliseconds, after one warm-up call."""
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, samples[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Markdown report file.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        start = time.perf_counter()
        with factory() as session:
            region = load_database(session, work, args.size, args.seed)
            establishments = session.scalar(select(func.count()).select_from(Establishment))
            eligible = session.scalar(
                select(func.count()).where(
                    Establishment.region == region,
                    Establishment.is_essms.is_(True),
                    Establishment.is_open.is_(True),
                )
            )
            embarked = session.scalar(select(func.count()).select_from(Embarkation))
        setup_s = time.perf_counter() - start
        engine.dispose()

        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "DATABASE_URL": url,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "JOB_BACKEND": "worker",
            }
        )
        with app.app_context():
            auth_services.create_user(
                db.session, email="ars@bench.fr", password=PASSWORD, role=Role.ARS, region=region
            )
            db.session.commit()
            figures = build_dashboard(db.session, region, None, app.config)
            department = max(figures.by_department, key=lambda row: row.tally.eligible).key
            service = timings(
                lambda: build_dashboard(db.session, region, None, app.config), args.repeat
            )
            db.session.remove()
        client = app.test_client()
        response = client.post("/connexion", data={"email": "ars@bench.fr", "password": PASSWORD})
        assert response.status_code == 302, response.status_code

        def get(path: str) -> Callable[[], object]:
            def call() -> object:
                page = client.get(path)
                assert page.status_code == 200, (path, page.status_code)
                return page

            return call

        page = timings(get("/ars/"), args.repeat)
        department_page = timings(get(f"/ars/?departement={department}"), args.repeat)
        targets_page = timings(get("/ars/non-embarques"), max(3, args.repeat // 3))

    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite file"
    name = REGIONS[region].name
    verdict = "ok" if page[0] < TARGET_MS else "TOO SLOW"
    lines = [
        f"# ARS desk benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"{kind}; synthetic national FINESS of {establishments:,} establishments "
        f"(`importers.synthetic`, seed {args.seed}) imported with `import_finess`, "
        f"{embarked:,} embarkation rows; largest region {name} ({region}) with "
        f"{eligible:,} eligible ESSMS and 3,000 contact actions. Setup {setup_s:.0f} s. "
        f"Python {platform.python_version()}, {args.repeat} timed runs after a warm-up.",
        "",
        "| measure | median (ms) | p95 (ms) | max (ms) | target |",
        "|---|---:|---:|---:|---|",
        f"| `build_dashboard` (SQL aggregates), region | {service[0]:.0f} | {service[1]:.0f} "
        f"| {service[2]:.0f} | |",
        f"| `GET /ars/` (whole request: queries, map, page), region | {page[0]:.0f} "
        f"| {page[1]:.0f} | {page[2]:.0f} | < {TARGET_MS:.0f} ms: {verdict} |",
        f"| `GET /ars/?departement={department}` | {department_page[0]:.0f} "
        f"| {department_page[1]:.0f} | {department_page[2]:.0f} | |",
        f"| `GET /ars/non-embarques` (BallTree scoring, map, page) | {targets_page[0]:.0f} "
        f"| {targets_page[1]:.0f} | {targets_page[2]:.0f} | (information) |",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_save:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
