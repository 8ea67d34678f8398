"""The site as an operator runs it, on national data: PostgreSQL, gunicorn, real HTTP.

Issue 14's table, re-measured (not a test). ONE command does it all, from an empty
PostgreSQL server to the Markdown table (about 10 minutes on a quiet 2-core machine):

    .venv/bin/python bench/bench_site.py

(``--repeat 10 --repeat-concurrent 3`` by default; ``--quick`` for 3 and 1.) Steps:

1. a database of its own on the PostgreSQL server (``--database-url``: the server and a
   database to connect to; ``bench_site_<random>`` is created there and dropped after),
   schema by the migrations (``grappes db upgrade``'s function);
2. timed: a national synthetic FINESS (``importers.synthetic``, ``--size`` establishments,
   seeded) imported with the FINESS importer;
3. the synthetic editor referential, an open national campaign and a messy declarations
   file of ``--declarations`` rows (``importers.synthetic_declarations``, CSV); timed: its
   import with the declarations importer;
4. a published run whose grappes group the declared ESSMS by department and editor (15 to
   49 members: the national review map's size, without a national solve), accounts for
   an OG of a grappe, the ARS of the largest region and an administrator;
5. gunicorn with ``deploy/gunicorn.conf.py`` and 2 workers on a free port;
6. each page ``--repeat`` times at concurrency 1, then 8 threads × ``--repeat-concurrent``
   requests at concurrency 8 (each thread logged in with its own session); median, p95,
   HTML size, errors and time-outs (``--timeout``);
7. ``grappes --help`` and the light commands (``bench/bench_cli.py``'s measure).

The load average is sampled every 5 s throughout (the machine may be shared: read the
figures with it). Writes a Markdown table (``--output``, default
``bench/results/site-<date>.md``) side by side with the issue's figures and the previous
measure's (``site-2026-12-03-final.md``), then what each error or time-out was
(status and request id, or the exception) and the server log's errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import requests
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_cli import measure as measure_cli  # noqa: E402
from importers.synthetic import generate  # noqa: E402
from importers.synthetic_declarations import (  # noqa: E402
    synthetic_referential,
    write_demo_declarations,
    write_referential_csv,
)
from matchmaker import migrations  # noqa: E402
from matchmaker.auth import services as auth_services  # noqa: E402
from matchmaker.campaigns.services import create_operator_campaign  # noqa: E402
from matchmaker.extensions import make_engine  # noqa: E402
from matchmaker.grappes.candidates import gather_candidates  # noqa: E402
from matchmaker.grappes.params import params_of  # noqa: E402
from matchmaker.imports.declarations import import_declarations  # noqa: E402
from matchmaker.imports.editors import import_editors  # noqa: E402
from matchmaker.imports.finess import import_finess  # noqa: E402
from matchmaker.imports.synthetic_declarations import open_essms  # noqa: E402
from matchmaker.models import (  # noqa: E402
    Declaration,
    Editor,
    Establishment,
    Exclusion,
    Grappe,
    GrappeMember,
    Role,
    RunCandidate,
    SolverRun,
)
from matchmaker.models.base import utcnow  # noqa: E402
from matchmaker.ops import table_statistics  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "banc-d-essai-solide"

#: Issue 14's figures (national data, PostgreSQL, gunicorn 2 workers, load 4–5).
ISSUE = {
    "console run review map (national)": ("19.1 s / 19.7 s", "150 s, read time-outs", "16.4 MB"),
    "ARS « non embarqués » map": ("2.7 s / 3.3 s", "16.4 s / 21.8 s", "1.3 MB"),
    "ARS priority list CSV": ("1.3 s / 3.0 s", "9.9 s / 15.4 s", "1.4 MB"),
    "neighbours 50 km": ("0.73 s / 1.9 s", "5.4 s / 8.6 s", "0.2–0.3 MB"),
    "neighbours 150 km": ("1.3 s / 2.5 s", "10.4 s / 12.5 s", "0.2–0.3 MB"),
    "home page": ("0.44 s / 0.61 s", "1.4 s / 2.7 s", "8 KB"),
    "search « EHPAD »": ("0.29 s / 0.48 s", "1.7 s / 2.4 s", "9 KB"),
    "OG dashboard": ("57–127 ms / 142–344 ms", "0.6–1.0 s / 1.0–2.0 s", "small"),
    "proposal": ("57–127 ms / 142–344 ms", "0.6–1.0 s / 1.0–2.0 s", "small"),
    "ARS desk": ("57–127 ms / 142–344 ms", "0.6–1.0 s / 1.0–2.0 s", "small"),
    "console campaign": ("57–127 ms / 142–344 ms", "0.6–1.0 s / 1.0–2.0 s", "small"),
}

#: The previous measure's figures (``bench/results/site-2026-12-03-final.md``, 13:54 UTC,
#: load average about 1).
PREVIOUS_LABEL = "2026-12-03 13:54"
PREVIOUS = {
    "console run review map (national)": ("676 ms / 1.03 s", "2.05 s / 3.07 s", "42 KB"),
    "ARS « non embarqués » map": ("129 ms / 1.98 s", "437 ms / 2.11 s", "42 KB"),
    "ARS priority list CSV": ("220 ms / 227 ms", "571 ms / 883 ms", "1.3 MB"),
    "neighbours 50 km": ("80 ms / 256 ms", "498 ms / 643 ms", "57 KB"),
    "neighbours 150 km": ("214 ms / 344 ms", "858 ms / 1.30 s", "57 KB"),
    "home page": ("138 ms / 147 ms", "395 ms / 646 ms", "5 KB"),
    "search « EHPAD »": ("47 ms / 55 ms", "133 ms / 228 ms", "10 KB"),
    "OG dashboard": ("71 ms / 88 ms", "352 ms / 491 ms", "117 KB"),
    "proposal": ("44 ms / 44 ms", "121 ms / 201 ms", "25 KB"),
    "ARS desk": ("89 ms / 95 ms", "303 ms / 484 ms", "19 KB"),
    "console campaign": ("154 ms / 155 ms", "305 ms / 525 ms", "6 KB"),
    "run map data (GeoJSON, national)": ("212 ms / 229 ms", "557 ms / 923 ms", "29 KB"),
    "ARS « non embarqués » map data (GeoJSON)": ("117 ms / 117 ms", "282 ms / 471 ms", "3 KB"),
}
NOT_MEASURED = ("—", "—", "—")

#: Issue 14's targets for the imports and the command line (seconds).
TARGETS = {"finess_import_s": 60.0, "declarations_import_s": 20.0, "cli_help_s": 1.0}


@dataclass
class World:
    campaign_id: int
    run_id: int
    grappe_id: int
    og_et: str
    users: dict[str, str]  # role -> e-mail
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def build(url: str, work: Path, size: int, declarations: int, seed: int) -> World:
    """Schema, national FINESS (timed), campaign and declarations (timed), a published
    run, accounts."""
    engine = make_engine(url)
    migrations.upgrade("head", engine=engine)
    extract = generate(work / "finess", size=size, seed=seed, regions=None)
    timings: dict[str, float] = {}
    with Session(engine) as session:
        start = time.perf_counter()
        import_finess(session, extract.establishments_path, ej_path=extract.ej_path)
        session.commit()
        timings["finess_import_s"] = time.perf_counter() - start
        import_editors(
            session, write_referential_csv(work / "editeurs.csv", synthetic_referential())
        )
        campaign = create_operator_campaign(session, "Nationale 2027")
        session.commit()
        essms_count = session.scalar(
            select(func.count()).where(
                Establishment.is_essms.is_(True), Establishment.is_open.is_(True)
            )
        )
        written = write_demo_declarations(
            open_essms(session, campaign.name),
            campaign.name,
            work / "declarations.csv",
            seed=seed,
            sample=min(1.0, 1.05 * declarations / max(essms_count or 1, 1)),
            limit=declarations,
        )
        start = time.perf_counter()
        summary = import_declarations(session, written.path, campaign)
        session.commit()
        timings["declarations_import_s"] = time.perf_counter() - start
        timings["declarations_rows"] = float(written.rows)
        timings["declarations_accepted"] = float(summary.accepted)
        essms = session.execute(
            select(Establishment.finess_et).where(
                Establishment.is_essms.is_(True), Establishment.is_open.is_(True)
            )
        ).all()
        declared = session.execute(
            select(
                Declaration.finess_et,
                Declaration.editor_id,
                Establishment.finess_ej,
                Establishment.department,
                Establishment.latitude,
                Establishment.longitude,
            )
            .join(Establishment, Establishment.finess_et == Declaration.finess_et)
            .where(
                Declaration.campaign_id == campaign.id,
                Declaration.is_current.is_(True),
                Declaration.editor_id.is_not(None),
            )
            .order_by(Declaration.finess_et)
        ).all()
        editor_names = {row.id: row.name for row in session.execute(select(Editor.id, Editor.name))}
        run = SolverRun(
            campaign_id=campaign.id,
            status="succeeded",
            scope=[],
            candidate_count=len(declared),
            finished_at=utcnow(),
            published_at=utcnow(),
        )
        session.add(run)
        session.flush()
        groups: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for row in declared:
            groups[(row.department, row.editor_id)].append(row)
        number = 0
        members: list[dict[str, object]] = []
        for (_department, editor_id), rows in sorted(groups.items()):
            for start in range(0, len(rows) - 14, 49):
                chunk = rows[start : start + 49]
                if len(chunk) < 15:
                    break
                number += 1
                grappe = Grappe(
                    run_id=run.id,
                    number=number,
                    editor_name=editor_names[editor_id],
                    editor_id=editor_id,
                    carrier_ej=chunk[0].finess_ej,
                    centre_finess_et=chunk[0].finess_et,
                    centre_latitude=chunk[0].latitude,
                    centre_longitude=chunk[0].longitude,
                    og_count=len({r.finess_ej for r in chunk}),
                )
                session.add(grappe)
                session.flush()
                members += [
                    {
                        "grappe_id": grappe.id,
                        "finess_et": r.finess_et,
                        "finess_ej": r.finess_ej,
                        "distance_km": 5.0,
                        "is_carrier": index == 0,
                    }
                    for index, r in enumerate(chunk)
                ]
        assert members, "no department has 15 declared ESSMS of one editor: raise --size"
        session.execute(insert(GrappeMember), members)
        run.covered_count = len(members)
        # As a run made today stores them: the facts the solver saw of each candidate (the
        # snapshot the pages read), and the declared ESSMS no grappe took, left out.
        gathered = gather_candidates(
            session, campaign_id=campaign.id, mode="interest", departments=[]
        )
        params = params_of(run)
        aside = {item.finess_et for item in gathered.set_aside}
        for facts in gathered.facts:
            snapshot = facts.snapshot(params, set_aside=facts.finess_et in aside)
            snapshot.run_id = run.id
            session.add(snapshot)
        placed = {member["finess_et"] for member in members}
        session.execute(
            insert(Exclusion),
            [
                {
                    "run_id": run.id,
                    "finess_et": c.finess_et,
                    "reason_code": "too_few_peers",
                    "reason": "Trop peu d'ESSMS compatibles à portée.",
                }
                for c in gathered.candidates
                if c.finess_et not in placed
            ],
        )
        # As ``store_solution`` ends: fresh planner statistics of the rows just written.
        table_statistics.refresh(session, Grappe, GrappeMember, Exclusion, RunCandidate)
        first = session.scalars(
            select(Grappe).where(Grappe.run_id == run.id).order_by(Grappe.id)
        ).first()
        assert first is not None
        member = session.scalars(
            select(GrappeMember).where(GrappeMember.grappe_id == first.id).limit(1)
        ).one()
        region = session.execute(
            select(Establishment.region, func.count())
            .where(Establishment.is_essms.is_(True))
            .group_by(Establishment.region)
            .order_by(func.count().desc())
            .limit(1)
        ).one()[0]
        users = {
            "og": "og@bench.fr",
            "ars": "ars@bench.fr",
            "admin": "admin@bench.fr",
        }
        auth_services.create_user(
            session, email=users["og"], password=PASSWORD, role=Role.OG,
            finess_ej=member.finess_ej,
        )  # fmt: skip
        auth_services.create_user(
            session, email=users["ars"], password=PASSWORD, role=Role.ARS, region=region
        )
        auth_services.create_user(session, email=users["admin"], password=PASSWORD, role=Role.ADMIN)
        session.commit()
        world = World(campaign.id, run.id, first.id, member.finess_et, users)
        world.counts = {
            "establishments": len(extract.establishments),
            "essms": len(essms),
            "declarations": int(timings["declarations_accepted"]),
            "declarations_rows": int(timings["declarations_rows"]),
            "grappes": number,
            "members": len(members),
        }
        world.timings = {k: v for k, v in timings.items() if k.endswith("_s")}
    engine.dispose()
    return world


def pages(world: World) -> list[tuple[str, str, str]]:
    """(label, role, path) of issue 14's table."""
    console = f"/console/campagnes/{world.campaign_id}"
    return [
        ("console run review map (national)", "admin", f"{console}/calculs/{world.run_id}"),
        ("ARS « non embarqués » map", "ars", "/ars/non-embarques"),
        ("ARS priority list CSV", "ars", "/ars/non-embarques.csv"),
        ("neighbours 50 km", "og", f"/essms/{world.og_et}/voisins"),
        ("neighbours 150 km", "og", f"/essms/{world.og_et}/voisins?rayon=150"),
        ("home page", "anonymous", "/"),
        ("search « EHPAD »", "anonymous", "/etablissements?q=EHPAD"),
        ("OG dashboard", "og", "/mon-organisme"),
        ("proposal", "og", f"/mes-grappes/{world.grappe_id}"),
        ("ARS desk", "ars", "/ars/"),
        ("console campaign", "admin", console),
        # The map pages' data, loaded by the browser after the page (issue 14, « Maps »).
        (
            "run map data (GeoJSON, national)",
            "admin",
            f"{console}/calculs/{world.run_id}/carte.geojson",
        ),
        ("ARS « non embarqués » map data (GeoJSON)", "ars", "/ars/non-embarques.geojson"),
    ]


def login(base: str, email: str | None, attempts: int = 3) -> requests.Session:
    """A client logged in as ``email`` (anonymous for None); a login cut by a worker
    restart (gunicorn's time-out killed it) is tried again."""
    for attempt in range(attempts):
        try:
            return _login(base, email)
        except requests.ConnectionError:
            if attempt == attempts - 1:
                raise
            wait_idle(base)
    raise AssertionError("unreachable")


def _login(base: str, email: str | None) -> requests.Session:
    browser = requests.Session()
    if email is None:
        return browser
    page = browser.get(f"{base}/connexion", timeout=300).text
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    response = browser.post(
        f"{base}/connexion",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=300,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


@dataclass
class Measure:
    times: list[float] = field(default_factory=list)
    size: int = 0
    errors: int = 0
    timeouts: int = 0
    #: What each error or time-out was (status and request id, or the exception): the
    #: server's log tells the rest under that request id.
    details: list[str] = field(default_factory=list)

    def add(self, fetch: Callable[[], requests.Response]) -> None:
        start = time.perf_counter()
        try:
            response = fetch()
        except requests.Timeout as error:
            self.timeouts += 1
            self.details.append(f"time-out after {time.perf_counter() - start:.1f} s: {error}")
            return
        except requests.ConnectionError as error:  # e.g. a worker killed by gunicorn
            self.errors += 1
            self.details.append(
                f"connection error after {time.perf_counter() - start:.1f} s: {error}"
            )
            return
        self.times.append(time.perf_counter() - start)
        if response.status_code != 200:
            self.errors += 1
            reference = re.search(r"E-[0-9A-Z]{5}", response.text)
            self.details.append(
                f"HTTP {response.status_code} after {time.perf_counter() - start:.1f} s, "
                f"request id {response.headers.get('X-Request-ID', '?')}"
                + (f", reference {reference.group(0)}" if reference else "")
            )
        self.size = max(self.size, len(response.content))

    def summary(self) -> str:
        if not self.times:
            return "—"
        ordered = sorted(self.times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return f"{_s(statistics.median(ordered))} / {_s(p95)}"


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} KB" if size >= 1000 else f"{size} B"


def measure(
    base: str, world: World, repeat: int, concurrency: int, timeout: float
) -> dict[str, Measure]:
    results: dict[str, Measure] = {}
    for label, role, path in pages(world):
        email = world.users.get(role)
        wait_idle(base)
        sessions = [login(base, email) for _ in range(concurrency)]
        warm = sessions[0]
        with contextlib.suppress(requests.RequestException):  # warm-up
            warm.get(base + path, timeout=timeout)
        found = Measure()
        lock = threading.Lock()

        def worker(
            browser: requests.Session,
            found: Measure = found,
            path: str = path,
            lock: threading.Lock = lock,
        ) -> None:
            for _ in range(repeat):
                local = Measure()
                local.add(lambda: browser.get(base + path, timeout=timeout))
                with lock:
                    found.times += local.times
                    found.errors += local.errors
                    found.timeouts += local.timeouts
                    found.details += local.details
                    found.size = max(found.size, local.size)

        threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results[label] = found
        print(f"  c={concurrency} {label}: {found.summary()} {_size(found.size)}", flush=True)
    return results


def wait_idle(base: str, patience_s: float = 600) -> None:
    """Wait until the server answers at once again: requests a client gave up on (time-
    outs) still hold the workers until they end, and would weigh on the next page."""
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            requests.get(f"{base}/sante", timeout=patience_s)
        except requests.RequestException:
            continue
        if time.perf_counter() - start < 1.0:
            return


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--size", type=int, default=100_000, help="FINESS establishments")
    parser.add_argument("--declarations", type=int, default=35_000, help="declaration rows")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=10, help="requests per page at c=1")
    parser.add_argument(
        "--repeat-concurrent", type=int, default=3, help="requests per client at c=8"
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 requests per page at c=1, 1 per client at c=8"
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.repeat_concurrent = 3, 1
    # A stopped benchmark still stops gunicorn and drops its database (``finally``).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    admin = make_url(args.database_url).set(drivername="postgresql")
    name = f"bench_site_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    gunicorn: subprocess.Popen[bytes] | None = None
    load = LoadSampler()
    load.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            world = build(url, Path(tmp), args.size, args.declarations, args.seed)
            setup_s = time.perf_counter() - start
            print(f"database built in {setup_s:.0f} s: {world.counts}", flush=True)
            port = free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "SECRET_KEY": uuid.uuid4().hex,
                "GRAPPES_SESSION_COOKIE_SECURE": "false",
                "GRAPPES_LOG_LEVEL": "WARNING",
                # Every client logs in: the login rate limit is not what is measured.
                "GRAPPES_RATELIMIT_LOGIN": "10000 per minute",
            }
            env.pop("REDIS_URL", None)
            log = open(Path(tmp) / "gunicorn.log", "wb")  # noqa: SIM115 (closed with the folder)
            gunicorn = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "-c",
                    "deploy/gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    str(int(args.timeout) + 30),
                    "--access-logfile",
                    "/dev/null",
                    "matchmaker:create_app()",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if requests.get(f"{base}/sante", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.5)
            one = measure(base, world, args.repeat, 1, args.timeout)
            eight = measure(base, world, args.repeat_concurrent, 8, args.timeout)
            cli = measure_cli(max(3, args.repeat // 2), ROOT)
            load.stop()
            write(args, world, setup_s, one, eight, cli, load, Path(tmp) / "gunicorn.log")
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
                gunicorn.wait(timeout=30)
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class LoadSampler(threading.Thread):
    """The load average (1 min) every ``period_s`` while the benchmark runs."""

    def __init__(self, period_s: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.period_s = period_s
        self.samples: list[float] = []
        self.first = os.getloadavg()
        self.last = self.first
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop_event.wait(self.period_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.last = os.getloadavg()

    def describe(self) -> str:
        def triple(values: tuple[float, float, float]) -> str:
            return " / ".join(f"{value:.1f}" for value in values)

        samples = self.samples or [self.first[0]]
        return (
            f"load average {triple(self.first)} before, {triple(self.last)} after; "
            f"1-minute load sampled every {self.period_s:.0f} s: median "
            f"{statistics.median(samples):.1f}, min {min(samples):.1f}, max {max(samples):.1f}"
        )


def write(
    args: argparse.Namespace,
    world: World,
    setup_s: float,
    one: dict[str, Measure],
    eight: dict[str, Measure],
    cli: list[tuple[str, list[float]]],
    load: LoadSampler,
    server_log: Path,
) -> None:
    now = datetime.now(UTC)
    output = args.output or ROOT / "bench" / "results" / f"site-{now:%Y-%m-%d}.md"
    counts = world.counts
    lines = [
        f"# Site benchmark ({now:%Y-%m-%d %H:%M} UTC)",
        "",
        "Re-run it with one command: `.venv/bin/python bench/bench_site.py` (PostgreSQL at "
        "127.0.0.1:5432; see the script's docstring).",
        "",
        "PostgreSQL, gunicorn with 2 workers (`deploy/gunicorn.conf.py`: gthread, 1 thread), "
        f"real HTTP from this machine (`bench/bench_site.py --size {args.size} --declarations "
        f"{args.declarations} --repeat {args.repeat} --repeat-concurrent "
        f"{args.repeat_concurrent}`). Synthetic national FINESS of "
        f"{counts['establishments']:,} establishments ({counts['essms']:,} open ESSMS, seed "
        f"{args.seed}) imported with `import_finess`; {counts['declarations']:,} declarations "
        f"accepted of a {counts['declarations_rows']:,}-row messy file in one national "
        f"campaign; a published run of {counts['grappes']:,} grappes "
        f"({counts['members']:,} members). Setup {setup_s:.0f} s. Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, shared with other work: "
        f"{load.describe()}. Concurrency 1: {args.repeat} requests per page; concurrency "
        f"8: 8 logged-in clients × {args.repeat_concurrent} requests. Time-out "
        f"{args.timeout:.0f} s. Medians and 95th percentiles over the requests that answered.",
        "",
        "| page | conc. 1 p50 / p95 | conc. 8 p50 / p95 | body | errors, time-outs (c=8) "
        f"| previous ({PREVIOUS_LABEL}): c=1 ; c=8 ; body "
        "| issue 14: c=1 ; c=8 ; body |",
        "|---|---|---|---:|---|---|---|",
    ]
    for label in one:
        issue = ISSUE.get(label, NOT_MEASURED)
        previous = PREVIOUS.get(label, NOT_MEASURED)
        failures = f"{eight[label].errors}, {eight[label].timeouts}"
        lines.append(
            f"| {label} | {one[label].summary()} | {eight[label].summary()} | "
            f"{_size(one[label].size)} | {failures} | {' ; '.join(previous)} "
            f"| {' ; '.join(issue)} |"
        )
    timings = world.timings
    lines += [
        "",
        "| step | measured | target (issue 14) |",
        "|---|---:|---:|",
        f"| national FINESS import ({counts['establishments']:,} establishments) "
        f"| {timings['finess_import_s']:.1f} s | ≤ {TARGETS['finess_import_s']:.0f} s |",
        f"| declarations import ({counts['declarations_rows']:,} rows, CSV) "
        f"| {timings['declarations_import_s']:.1f} s "
        f"| ≤ {TARGETS['declarations_import_s']:.0f} s |",
    ]
    for label, times in cli:
        target = f"≤ {TARGETS['cli_help_s']:.0f} s" if label == "grappes --help" else ""
        lines.append(
            f"| {label}, median of {len(times)} | {statistics.median(times):.2f} s | {target} |"
        )
    lines += failures_section(one, eight, server_log)
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {output}")


#: Lines of gunicorn's log worth reading after a failed request. A worker killed by a
#: signal is logged at WARNING level (« Worker (pid:…) was sent SIGSEGV! ») and the
#: faulthandler's report starts with « Fatal Python error: »: both are named.
SERVER_TROUBLE = re.compile(
    r"ERROR|CRITICAL|WORKER TIMEOUT|SIGKILL|SIGABRT|SIGSEGV|SIGBUS|Fatal Python error"
    r"|Traceback|Error:"
)


def failures_section(
    one: dict[str, Measure], eight: dict[str, Measure], server_log: Path, limit: int = 40
) -> list[str]:
    """What each failed request was, and the server log's errors (none: said so)."""
    lines = ["", "Errors and time-outs:", ""]
    failed = [
        f"- c={concurrency} {label}: {detail}"
        for concurrency, measures in ((1, one), (8, eight))
        for label, measure in measures.items()
        for detail in measure.details
    ]
    lines += failed or ["- none."]
    logged = [
        line.rstrip()
        for line in server_log.read_text(encoding="utf-8", errors="replace").splitlines()
        if SERVER_TROUBLE.search(line)
    ]
    lines += ["", f"gunicorn's log: {len(logged)} error line(s)" + (":" if logged else ".")]
    if logged:
        lines += ["", "```", *logged[:limit], "```"]
    return lines


if __name__ == "__main__":
    main()
