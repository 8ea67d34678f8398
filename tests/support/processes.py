"""The solver's worker processes as /proc shows them (Linux only): the tests that kill a
solving process check that none of its workers survives."""

from __future__ import annotations

import time
from pathlib import Path


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


def wait_until(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
