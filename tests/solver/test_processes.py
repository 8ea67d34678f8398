"""The solver's worker processes never outlive the solve (issue 17 pt 4): a cancel raised by
the progress callback kills them, and so does the death of their parent, even by SIGKILL.

Real processes, found in /proc (Linux only)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from solver import SolveParams, solve
from solver.synthetic import generate
from tests.support.processes import alive, armed, solver_workers, wait_until

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

ROOT = Path(__file__).resolve().parents[2]


class Cancelled(Exception):
    """What a job raises from its progress callback when the user cancels it."""


def test_a_cancel_raised_by_the_progress_callback_kills_the_workers() -> None:
    """The callback raises once two workers run CP-SAT: `solve` raises it at once (it does
    not wait for sub-problems budgeted for about a minute) and no worker survives."""
    instance = generate(n=3000, seed=3)
    params = replace(SolveParams(), time_limit_s=120.0, num_workers=2)
    workers: list[int] = []
    cancelled_at: list[float] = []

    def progress(_fraction: float, _message: str) -> None:
        if not workers and len(solver_workers(os.getpid())) == 2:
            workers.extend(solver_workers(os.getpid()))
        if workers:
            cancelled_at.append(time.monotonic())
            raise Cancelled

    with pytest.raises(Cancelled):
        solve(instance.candidates, params, progress=progress)
    returned = time.monotonic()
    assert len(workers) == 2
    # terminated, not waited for: each sub-problem had tens of seconds of budget
    assert returned - cancelled_at[0] < 10
    assert wait_until(lambda: not alive(workers), 5), alive(workers)
    assert solver_workers(os.getpid()) == []


def test_workers_start_with_the_solve_and_a_cancel_during_the_preparation_kills_them() -> None:
    """The workers are spawned when the solve starts, so that their start-up (importing
    OR-Tools) overlaps the preparation: both exist when the preparation is reported, and a
    cancel raised right then kills them."""
    instance = generate(n=3000, seed=3)
    params = replace(SolveParams(), time_limit_s=120.0, num_workers=2)
    workers: list[int] = []

    def progress(_fraction: float, message: str) -> None:
        if message.startswith("Candidats préparés"):
            workers.extend(solver_workers(os.getpid()))
            raise Cancelled

    with pytest.raises(Cancelled):
        solve(instance.candidates, params, progress=progress)
    assert len(workers) == 2
    assert wait_until(lambda: not alive(workers), 5), alive(workers)
    assert solver_workers(os.getpid()) == []


def test_workers_started_for_nothing_do_not_outlive_the_solve(make_cluster, make_candidate) -> None:  # type: ignore[no-untyped-def]
    """120 candidates, more than one sub-problem's size (100 here): the two workers start with
    the solve. Only 20 have coordinates, so there is one sub-problem, solved in the solving
    process: the workers are not needed, and none survives the solve."""
    nowhere = [
        dataclasses.replace(make_candidate(editor="A"), latitude=float("nan")) for _ in range(100)
    ]
    cands = make_cluster(20, editor="A") + nowhere
    params = replace(SolveParams(), time_limit_s=10.0, num_workers=2, max_subproblem_size=100)
    assert len(cands) > params.max_subproblem_size
    workers: list[int] = []

    def progress(_fraction: float, message: str) -> None:
        if message.startswith("Candidats préparés"):
            workers.extend(solver_workers(os.getpid()))

    solution = solve(cands, params, progress=progress)
    assert len(workers) == 2
    assert len(solution.subproblems) == 1
    assert wait_until(lambda: not alive(workers), 5), alive(workers)
    assert solver_workers(os.getpid()) == []


SCRIPT = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    sys.path.insert(0, {root!r})
    from solver import SolveParams, solve
    from solver.synthetic import generate

    if __name__ == "__main__":
        instance = generate(n=3000, seed=3)
        solve(instance.candidates, replace(SolveParams(), time_limit_s=300.0, num_workers=2))
    """
)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_no_worker_survives_its_parent_killed(tmp_path: Path, how: signal.Signals) -> None:
    """A process solving with two workers is killed (SIGKILL: no clean-up at all; SIGTERM:
    Python's default, no clean-up either): its workers die within seconds, they do not solve
    on for minutes."""
    script = tmp_path / "solve.py"
    script.write_text(SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    try:
        assert wait_until(lambda: len(solver_workers(parent.pid)) == 2, 120)
        workers = solver_workers(parent.pid)
        assert wait_until(lambda: armed(workers), 120)
        time.sleep(1)  # the workers are busy with their sub-problems
        parent.send_signal(how)
        parent.wait(timeout=30)
        assert wait_until(lambda: not alive(workers), 5), alive(workers)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
