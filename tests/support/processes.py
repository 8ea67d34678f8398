"""Real processes for the tests that start and kill them (Linux only): a test's own
processes, each in its own session with a log file, stopped at the end (``Started``); the
solver's worker processes as /proc shows them, so that a test killing a solving process
checks that none of its workers survives."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import ROOT


@dataclass
class Started:
    """Processes started by a test from the project's folder, each in its own session (a
    signal reaches its children too) and writing to ``logs/<name>.log``."""

    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def wait_ready(
        self, name: str, process: subprocess.Popen[bytes], url: str, timeout: float
    ) -> None:
        """Wait until the server ``process`` answers 200 on ``url``; fail at once, with its
        log, if it exits first."""

        def ready() -> bool:
            assert process.poll() is None, f"{name} exited\n{self.tail(name)}"
            return answers(url, timeout=15)

        wait_for(ready, timeout, lambda: f"{name} never became ready\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 40) -> str:
        """The end of a process's log, for an assertion's message."""
        path = self.logs / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        """Stop them gently (SIGTERM to each session), then for good."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str, timeout: float = 5) -> bool:
    """``url`` answers 200 (a server that is up and ready)."""
    import requests

    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def wait_for(
    condition: Callable[[], bool], timeout: float, why: Callable[[], str] | str = ""
) -> float:
    """Poll ``condition`` every 50 ms; the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(why() if callable(why) else why)
        time.sleep(0.05)
    return time.monotonic() - start


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, None when gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = raw.rsplit(")", 1)[1].split()[:2]
    return None if state in ("Z", "X") else (state, int(ppid))


def solver_workers(parent: int) -> list[int]:
    """Live spawned solver workers whose parent is `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is None or stat[1] != parent:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def armed(pids: list[int]) -> bool:
    """Every worker has started and watches its parent (it took the worker name)."""
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            return False
    return bool(pids) and all(name == "grappes-solveur" for name in names)


def alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if _stat(pid) is not None]


def is_alive(pid: int) -> bool:
    """The process is there and not a zombie."""
    return _stat(pid) is not None


def parent_of(pid: int) -> int | None:
    stat = _stat(pid)
    return None if stat is None else stat[1]


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether ``condition`` became true within ``seconds`` (polled as by ``wait_for``)."""
    try:
        wait_for(condition, seconds)
    except AssertionError:
        return False
    return True
