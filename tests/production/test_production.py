"""The production topology, for real, following docs/deploy.md with its commands: a fresh
PostgreSQL database, ``grappes db upgrade``, ``grappes import-finess``, ``grappes users
create``, gunicorn (``deploy/gunicorn.conf.py``, ``'matchmaker:create_app()'``), Redis and
one ``grappes worker``; one journey over HTTP (a collectif uploads declarations, solves
as a job, publishes; an OG answers), then the backup procedure: ``pg_dump``, restore into
an empty database, ``grappes db upgrade``, serve, and the answer is there.

Runs with the suite (``scripts/test``, CI) on the machine's PostgreSQL
(``GRAPPES_TEST_PG_URL``) and Redis (``GRAPPES_TEST_REDIS_URL``), with a database and a
queue name of its own. Without them: skipped with a warning locally, a failure in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from importers.synthetic import generate
from matchmaker.models import Establishment, Grappe, GrappeMember, SolverRun
from tests.helpers import ROOT
from tests.support.processes import Started, free_port

pytestmark = pytest.mark.production

BIN = Path(sys.executable).parent
PG_URL = os.environ.get("GRAPPES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "un-mot-de-passe-solide"
#: Long enough for a job on a loaded 2-core machine.
JOB_WAIT_S = 240
EDITORS = ("Acme Santé", "Beta Soft")


# --- the machine's PostgreSQL ------------------------------------------------------------


def _libpq(url: str) -> str:
    """The URL as libpq tools (psql, pg_dump, pg_restore) take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Databases:
    """Fresh databases on the server, dropped at the end."""

    admin_url: str
    names: list[str] = field(default_factory=list)

    def create(self, prefix: str) -> str:
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as connection:
            for name in self.names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def databases() -> Iterator[Databases]:
    import psycopg

    try:
        psycopg.connect(_libpq(PG_URL), connect_timeout=3).close()
    except psycopg.Error as error:
        message = f"PostgreSQL is not reachable at {PG_URL} ({error})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    found = Databases(PG_URL)
    try:
        yield found
    finally:
        found.drop_all()


# --- processes ---------------------------------------------------------------------------


class Topology(Started):
    """The environment of docs/deploy.md § 2 and the processes started with it."""

    def grappes(self, *args: str, stdin: str | None = None, **env: str) -> str:
        """``grappes ARGS`` as the guide runs it; its output."""
        completed = subprocess.run(
            [str(BIN / "grappes"), *args],
            cwd=ROOT,
            env={**self.env, **env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert completed.returncode == 0, (
            f"grappes {' '.join(args)}: {completed.stdout}\n{completed.stderr}"
        )
        return completed.stdout

    def gunicorn(self, name: str, **env: str) -> str:
        """gunicorn with the guide's configuration, 2 workers on a free port; its URL once
        ``/sante`` answers 200."""
        port = free_port()
        process = self.start(
            name,
            [
                str(BIN / "gunicorn"),
                "-c",
                "deploy/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "matchmaker:create_app()",
            ],
            **env,
        )
        url = f"http://127.0.0.1:{port}"
        self.wait_ready(name, process, f"{url}/sante", 90)
        return url


@pytest.fixture
def topology(
    databases: Databases, redis_url: str, tmp_path: Path
) -> Iterator[tuple[Topology, Databases]]:
    database_url = databases.create("grappes_prod")
    queue = f"grappes-test-{uuid.uuid4().hex[:10]}"
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DATABASE_URL": database_url,
        "SECRET_KEY": uuid.uuid4().hex,
        "REDIS_URL": redis_url,
        "GRAPPES_JOB_RQ_QUEUE": queue,
        "GRAPPES_LOG_FORMAT": "json",
        "GRAPPES_PROXY_FIX_HOPS": "1",
        "GRAPPES_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "GRAPPES_SOLVER_WORKERS": "1",
        # The test talks to gunicorn directly over http (the proxy terminates HTTPS).
        "GRAPPES_SESSION_COOKIE_SECURE": "false",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    found = Topology(env, logs)
    try:
        yield found, databases
    finally:
        found.stop_all()
        from redis import Redis
        from rq import Queue

        Queue(queue, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)


# --- HTTP --------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The fields of every form of a page, with the values the page gives them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}))
        elif not self.forms:
            return
        fields = self.forms[-1][1]
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            fields[a["name"]] = ""
        elif tag == "select":
            self._select, self._first_option = a.get("name"), None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                fields.setdefault(self._select, self._first_option)
            if "selected" in a:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form(page: requests.Response, action: str) -> dict[str, str]:
    """The fields of the page's form posting to ``action``."""
    parser = _Forms()
    parser.feed(page.text)
    for found, fields in parser.forms:
        if found.endswith(action) or (not found and page.url.endswith(action)):
            return fields
    raise AssertionError(f"no form to {action} on {page.url}: {[f for f, _ in parser.forms]}")


def csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def login(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/connexion", timeout=30)
    answer = browser.post(
        f"{base}/connexion",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(page)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text
    return browser


def wait_for_job(browser: requests.Session, base: str, page: requests.Response) -> int:
    """Follow the job the page shows until it ends; it must succeed. Returns its id."""
    found = re.search(r'data-job-url="(/jobs/(\d+))"', page.text)
    assert found, f"no job on {page.url}"
    deadline = time.monotonic() + JOB_WAIT_S
    while time.monotonic() < deadline:
        state = browser.get(
            base + found.group(1), headers={"Accept": "application/json"}, timeout=30
        ).json()
        if state["finished"]:
            assert state["status"] == "succeeded", state
            return int(found.group(2))
        time.sleep(0.5)
    raise AssertionError(f"job {found.group(2)} still running after {JOB_WAIT_S} s")


# --- data --------------------------------------------------------------------------------


def declarations_file(database_url: str, folder: Path) -> tuple[Path, str]:
    """Declarations of 32 ESSMS of the department with the most (two editors, 16 each).
    Returns the file and the department."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Establishment.finess_et, Establishment.department)
                .where(Establishment.is_essms.is_(True), Establishment.is_open.is_(True))
                .where(Establishment.latitude.is_not(None))
                .order_by(Establishment.finess_et)
            ).all()
    finally:
        engine.dispose()
    by_department: dict[str, list[str]] = {}
    for finess_et, department in rows:
        by_department.setdefault(department, []).append(finess_et)
    department, members = max(by_department.items(), key=lambda item: len(item[1]))
    assert len(members) >= 32, f"too few ESSMS in {department}: {len(members)}"
    lines = ["finess_et;editeur;statut_dui"]
    lines += [
        f"{finess_et};{EDITORS[index % 2]};référencé Ségur"
        for index, finess_et in enumerate(members[:32])
    ]
    path = folder / "declarations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, department


def a_member(database_url: str, run_id: int) -> tuple[int, str]:
    """A grappe of the run and the FINESS EJ of one of its members."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            grappe_id, finess_ej = session.execute(
                select(Grappe.id, Establishment.finess_ej)
                .join(GrappeMember, GrappeMember.grappe_id == Grappe.id)
                .join(Establishment, Establishment.finess_et == GrappeMember.finess_et)
                .where(Grappe.run_id == run_id)
                .order_by(Grappe.id, Establishment.finess_et)
                .limit(1)
            ).one()
            assert session.get(SolverRun, run_id) is not None
            return int(grappe_id), str(finess_ej)
    finally:
        engine.dispose()


# --- the test ----------------------------------------------------------------------------


def test_production_topology_journey_and_restore(
    topology: tuple[Topology, Databases], tmp_path: Path
) -> None:
    top, databases = topology
    env = top.env

    # § 3: schema, FINESS extract, first account.
    top.grappes("db", "upgrade")
    extract = generate(tmp_path / "finess", size=500, seed=14, regions=("53",))
    top.grappes("import-finess", str(extract.establishments_path), "--ej", str(extract.ej_path))
    declarations, department = declarations_file(env["DATABASE_URL"], tmp_path)
    collectif = "animation@collectif.exemple.fr"
    top.grappes(
        "users", "create", "--email", collectif, "--role", "collectif", "--region", "53",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip

    # § 4 and § 5: gunicorn and one RQ worker.
    base = top.gunicorn("web")
    top.start("worker", [str(BIN / "grappes"), "worker"])
    health = requests.get(f"{base}/sante/pret", timeout=10).json()
    assert health["statut"] == "pret" and health["redis"]["ok"] is True

    # The collectif: a campaign, its declarations (preview and load are jobs).
    browser = login(base, collectif)
    page = browser.get(f"{base}/console/campagnes/nouvelle", timeout=30)
    fields = form(page, "/console/campagnes/nouvelle")
    fields.update(
        name="Bretagne production", departments=department, time_limit_s="10",
        max_distance_km="400",
    )  # fmt: skip
    created = browser.post(
        f"{base}/console/campagnes/nouvelle", data=fields, allow_redirects=False, timeout=30
    )
    assert created.status_code == 302, created.text
    campaign = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    console = f"{base}/console/campagnes/{campaign}"
    page = browser.get(console, timeout=30)
    opened = browser.post(
        f"{console}/etat", data={"action": "open", "csrf_token": csrf(page)}, timeout=30
    )
    assert opened.status_code == 200, opened.text
    page = browser.get(console, timeout=30)
    with declarations.open("rb") as handle:
        uploaded = browser.post(
            f"{console}/fichiers",
            data={"kind": "declarations", "csrf_token": csrf(page)},
            files={"file": ("declarations.csv", handle, "text/csv")},
            timeout=60,
        )
    assert uploaded.status_code == 200 and "/fichiers/" in uploaded.url, uploaded.text
    wait_for_job(browser, base, uploaded)
    page = browser.get(uploaded.url, timeout=30)
    confirmed = browser.post(
        f"{uploaded.url}/confirmer", data={"csrf_token": csrf(page)}, timeout=60
    )
    wait_for_job(browser, base, confirmed)
    assert "importé" in browser.get(uploaded.url, timeout=30).text

    # Solve as a job on the RQ worker; the request id follows it into the worker's log.
    page = browser.get(console, timeout=30)
    run_fields = form(page, f"/console/campagnes/{campaign}/calculs")
    run_page = browser.post(
        f"{console}/calculs",
        data=run_fields,
        headers={"X-Request-ID": "journey-solve-1"},
        timeout=60,
    )
    assert "/calculs/" in run_page.url, run_page.text
    job_id = wait_for_job(browser, base, run_page)
    run_id = int(run_page.url.rstrip("/").rsplit("/", 1)[-1])
    page = browser.get(run_page.url, timeout=30)
    assert "Grappes proposées" in page.text
    journal = browser.get(f"{base}/jobs/{job_id}/journal", timeout=30).text
    assert "journey-solve-1" in journal and f"job {job_id} (campaign.solve) succeeded" in journal
    worker_lines = [
        json.loads(line)
        for line in (top.logs / "worker.log").read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    assert any(
        r.get("job_id") == job_id and r.get("request_id") == "journey-solve-1" for r in worker_lines
    ), top.tail("worker")

    # Publish; an OG of a proposed grappe answers.
    published = browser.post(f"{run_page.url}/publier", data={"csrf_token": csrf(page)}, timeout=60)
    assert published.status_code == 200 and "publié" in published.text
    grappe_id, finess_ej = a_member(env["DATABASE_URL"], run_id)
    og = f"direction@og-{finess_ej}.exemple.fr"
    top.grappes(
        "users", "create", "--email", og, "--role", "og", "--organisation", finess_ej,
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    og_browser = login(base, og)
    assert f"/mes-grappes/{grappe_id}" in og_browser.get(f"{base}/mes-grappes", timeout=30).text
    proposal = og_browser.get(f"{base}/mes-grappes/{grappe_id}", timeout=30)
    answered = og_browser.post(
        f"{base}/mes-grappes/{grappe_id}",
        data={"answer": "accepte", "comment": "D'accord.", "csrf_token": csrf(proposal)},
        timeout=30,
    )
    assert "Votre réponse est enregistrée." in answered.text, re.findall(
        r'class="flash[^"]*"[^>]*>(.*?)</', answered.text, re.S
    )

    # § 7: backup, restore into an empty database, upgrade, serve.
    dump = tmp_path / "grappes.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", _libpq(env["DATABASE_URL"])],
        check=True,
        timeout=120,
    )
    restored_url = databases.create("grappes_restauree")
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={_libpq(restored_url)}", str(dump)],
        check=True,
        timeout=120,
    )
    top.grappes("db", "upgrade", DATABASE_URL=restored_url)
    restored = top.gunicorn("web-restored", DATABASE_URL=restored_url)
    after = login(restored, og).get(f"{restored}/mes-grappes/{grappe_id}", timeout=30)
    assert after.status_code == 200
    assert "accepte" in _checked(after.text)
    search = requests.get(f"{restored}/etablissements", params={"q": "ehpad"}, timeout=30)
    assert search.status_code == 200


def _checked(html: str) -> list[str]:
    parser = _Forms()
    parser.feed(html)
    return [fields.get("answer", "") for _action, fields in parser.forms]
