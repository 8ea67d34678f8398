"""The site as an operator runs it, on national data: PostgreSQL, gunicorn, real HTTP.

Issue 14's table, re-measured (not a test). Steps:

1. a database of its own on the PostgreSQL server (``--database-url``: the server and a
   database to connect to; ``bench_site_<random>`` is created there and dropped after),
   schema by ``grappes db upgrade`` (the migrations);
2. a national synthetic FINESS (``importers.synthetic``, ``--size`` establishments,
   seeded) imported with the FINESS importer, 40 editors, an open national campaign with
   80 % of the ESSMS declared, and a published run whose grappes group the declared ESSMS
   by department and editor (15 to 49 members: the national review map's size, without a
   national solve), accounts for an OG of a grappe, the ARS of the largest region and an
   administrator;
3. gunicorn with ``deploy/gunicorn.conf.py`` and 2 workers on a free port;
4. each page ``--repeat`` times at concurrency 1, then 8 threads × ``--repeat-concurrent``
   requests
   at concurrency 8 (each thread logged in with its own session); median, p95, HTML size,
   errors and time-outs (``--timeout``).

Writes a Markdown table (``--output``, default ``bench/results/site-<date>.md``) side by
side with the issue's figures, with the machine's load average.

    .venv/bin/python bench/bench_site.py [--size 100000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
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

import psycopg
import requests
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importers.synthetic import generate  # noqa: E402
from matchmaker import migrations  # noqa: E402
from matchmaker.auth import services as auth_services  # noqa: E402
from matchmaker.extensions import make_engine  # noqa: E402
from matchmaker.imports.finess import import_finess  # noqa: E402
from matchmaker.models import (  # noqa: E402
    Campaign,
    Declaration,
    Editor,
    Establishment,
    Grappe,
    GrappeMember,
    Role,
    SolverRun,
)
from matchmaker.models.base import utcnow  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "banc-d-essai-solide"
#: Share of the open ESSMS declared in the national campaign (issue 14: 35k of about 45k).
DECLARED_SHARE = 0.8

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


@dataclass
class World:
    campaign_id: int
    run_id: int
    grappe_id: int
    og_et: str
    users: dict[str, str]  # role -> e-mail
    counts: dict[str, int] = field(default_factory=dict)


def build(url: str, work: Path, size: int, seed: int) -> World:
    """Schema, national FINESS, campaign, declarations, a published run, accounts."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrations.upgrade("head", engine=engine)
    extract = generate(work / "finess", size=size, seed=seed, regions=None)
    with Session(engine) as session:
        import_finess(session, extract.establishments_path, ej_path=extract.ej_path)
        session.commit()
        editors = [Editor(name=f"Éditeur {i}", key=f"editeur {i}") for i in range(40)]
        campaign = Campaign(name="Nationale 2027", status="open")
        session.add_all([*editors, campaign])
        session.flush()
        essms = session.execute(
            select(
                Establishment.finess_et,
                Establishment.finess_ej,
                Establishment.department,
                Establishment.latitude,
                Establishment.longitude,
            ).where(Establishment.is_essms.is_(True), Establishment.is_open.is_(True))
        ).all()
        declared = [row for row in essms if rng.random() < DECLARED_SHARE]
        # A few editors hold most of the market (weights 1, 1/2, 1/3…).
        weights = [1 / (rank + 1) for rank in range(len(editors))]
        drawn = rng.choices(editors, weights=weights, k=len(declared))
        chosen = {row.finess_et: editor for row, editor in zip(declared, drawn, strict=True)}
        session.execute(
            insert(Declaration),
            [
                {
                    "campaign_id": campaign.id,
                    "finess_et": row.finess_et,
                    "editor_id": chosen[row.finess_et].id,
                    "dui_status": "reference_segur",
                    "sons_status": "aucun",
                    "department": row.department,
                    "interested": True,
                    "source_kind": "file",
                    "is_current": True,
                    "declared_at": utcnow(),
                }
                for row in declared
            ],
        )
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
        groups: dict[tuple[str, int], list[object]] = defaultdict(list)
        for row in declared:
            groups[(row.department, chosen[row.finess_et].id)].append(row)
        by_id = {editor.id: editor for editor in editors}
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
                    editor_name=by_id[editor_id].name,
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
            "declarations": len(declared),
            "grappes": number,
            "members": len(members),
        }
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
    ]


def login(base: str, email: str | None) -> requests.Session:
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

    def add(self, fetch: Callable[[], requests.Response]) -> None:
        start = time.perf_counter()
        try:
            response = fetch()
        except requests.Timeout:
            self.timeouts += 1
            return
        self.times.append(time.perf_counter() - start)
        if response.status_code != 200:
            self.errors += 1
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
        with contextlib.suppress(requests.Timeout):  # warm-up
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
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=10, help="requests per page at c=1")
    parser.add_argument(
        "--repeat-concurrent", type=int, default=3, help="requests per client at c=8"
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    # A stopped benchmark still stops gunicorn and drops its database (``finally``).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    admin = make_url(args.database_url).set(drivername="postgresql")
    name = f"bench_site_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    gunicorn: subprocess.Popen[bytes] | None = None
    load_before = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            world = build(url, Path(tmp), args.size, args.seed)
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
            load_after = os.getloadavg()
            write(args, world, setup_s, one, eight, load_before, load_after)
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


def write(
    args: argparse.Namespace,
    world: World,
    setup_s: float,
    one: dict[str, Measure],
    eight: dict[str, Measure],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    now = datetime.now(UTC)
    output = args.output or ROOT / "bench" / "results" / f"site-{now:%Y-%m-%d}.md"
    counts = world.counts
    lines = [
        f"# Site benchmark ({now:%Y-%m-%d %H:%M} UTC)",
        "",
        f"PostgreSQL, gunicorn with 2 sync workers (`deploy/gunicorn.conf.py`), real HTTP "
        f"from this machine (`bench/bench_site.py --size {args.size} --repeat "
        f"{args.repeat} --repeat-concurrent {args.repeat_concurrent}`). Synthetic national "
        f"FINESS of {counts['establishments']:,} "
        f"establishments ({counts['essms']:,} open ESSMS, seed {args.seed}) imported with "
        f"`import_finess`; {counts['declarations']:,} declarations in one national "
        f"campaign; a published run of {counts['grappes']:,} grappes "
        f"({counts['members']:,} members). Setup {setup_s:.0f} s. Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, shared with other work: "
        f"load average {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} "
        f"before, {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} after. "
        f"Concurrency 1: {args.repeat} requests per page; concurrency 8: 8 logged-in "
        f"clients × {args.repeat_concurrent} requests. Time-out {args.timeout:.0f} s. "
        "Medians and 95th percentiles over the requests that answered.",
        "",
        "| page | conc. 1 p50 / p95 | conc. 8 p50 / p95 | HTML | errors, time-outs (c=8) "
        "| issue 14: conc. 1 | issue 14: conc. 8 | issue 14: HTML |",
        "|---|---|---|---:|---|---|---|---:|",
    ]
    for label in one:
        before = ISSUE[label]
        failures = f"{eight[label].errors}, {eight[label].timeouts}"
        lines.append(
            f"| {label} | {one[label].summary()} | {eight[label].summary()} | "
            f"{_size(one[label].size)} | {failures} | {before[0]} | {before[1]} | {before[2]} |"
        )
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {output}")


if __name__ == "__main__":
    main()
