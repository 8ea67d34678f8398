"""A ``grappes solve`` killed while it solves (issue 17): real processes, a real committed
database (SQLite, or PostgreSQL with ``GRAPPES_TEST_DATABASE_URL``).

- SIGTERM (and SIGINT): the command marks its own run « échec » with a French cause, kills
  the solver's worker processes and exits;
- SIGKILL: nothing can run in the command, yet no worker survives it (the run stays
  « en cours » for the jobs' sweep to recover).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.extensions import make_engine
from matchmaker.models import SolverRun
from tests.factories import (
    make_campaign,
    make_declaration,
    make_editor,
    make_establishment,
    make_organisation,
)
from tests.helpers import scratch_database
from tests.support.processes import alive, armed, solver_workers, wait_until

pytestmark = [
    pytest.mark.db,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc"),
]

BIN = Path(sys.executable).parent
CAMPAIGN = "Occitanie longue"
#: ESSMS per editor: two editors, two sub-problems far too big to be solved in seconds.
PER_EDITOR = 900


@pytest.fixture
def committed_url(tmp_path: Path) -> Iterator[str]:
    """A committed database holding a campaign whose solve takes minutes."""
    with scratch_database(tmp_path, "killed") as url:
        engine = make_engine(url)
        with Session(engine) as session:
            campaign = make_campaign(session, CAMPAIGN, departments=["31"])
            for e, name in enumerate(("Alpha Santé", "Beta Soft")):
                editor = make_editor(session, name)
                for i in range(PER_EDITOR):
                    angle, radius = 2.4 * i, 60 * math.sqrt((i + 0.5) / PER_EDITOR)
                    og = make_organisation(session, name=f"OG {e} {i}")
                    essms = make_establishment(
                        session,
                        og,
                        latitude=43.6 + e * 0.05 + radius / 111 * math.sin(angle),
                        longitude=1.44 + radius / 80 * math.cos(angle),
                    )
                    make_declaration(session, campaign, essms, editor=editor)
            session.commit()
        engine.dispose()
        yield url


def start_solve(url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DATABASE_URL": url,
        "SECRET_KEY": uuid.uuid4().hex,
    }
    return subprocess.Popen(
        [
            str(BIN / "grappes"),
            "solve",
            "--campaign",
            CAMPAIGN,
            "--workers",
            "2",
            "--time-limit",
            "600",
            "--out",
            str(tmp_path / "out.csv"),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def the_run(url: str) -> SolverRun:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            run = session.scalars(select(SolverRun)).one()
            session.expunge(run)
            return run
    finally:
        engine.dispose()


def solving_workers(command: subprocess.Popen[bytes]) -> list[int]:
    """Wait until the command's two solver workers have started and watch their parent."""
    assert wait_until(lambda: len(solver_workers(command.pid)) == 2, 240), command.pid
    workers = solver_workers(command.pid)
    assert wait_until(lambda: armed(workers), 120)
    return workers


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_solve_stopped_by_a_signal_ends_failed_and_leaves_no_process(
    committed_url: str, tmp_path: Path, how: signal.Signals
) -> None:
    command = start_solve(committed_url, tmp_path)
    try:
        workers = solving_workers(command)
        assert the_run(committed_url).status == "running"
        command.send_signal(how)
        output, _ = command.communicate(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert command.returncode == 128 + how.value, output
    assert f"calcul interrompu (signal {how.name})".encode() in output
    assert wait_until(lambda: not alive(workers), 5), alive(workers)
    run = the_run(committed_url)
    assert run.status == "failed"
    assert run.error == f"calcul interrompu (signal {how.name})"
    assert run.finished_at is not None
    assert not (run.progress_message or "").startswith("Terminé")


def test_a_solve_killed_outright_leaves_no_solver_process(
    committed_url: str, tmp_path: Path
) -> None:
    command = start_solve(committed_url, tmp_path)
    try:
        workers = solving_workers(command)
        command.kill()
        command.communicate(timeout=30)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert wait_until(lambda: not alive(workers), 5), alive(workers)
    # No code ran in the command: the run is left for the jobs' sweep (issue 17, lane jobs).
    assert the_run(committed_url).status == "running"
