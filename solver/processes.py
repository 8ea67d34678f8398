"""A process pool whose processes never outlive the solve that started them.

Sub-problems run in worker processes. They must die with their parent, whatever kills it (a
job cancelled, SIGTERM, SIGKILL of an RQ work horse, a server stopped while a solve runs in
a thread):

- workers are *spawned* (fork + exec: safe when the caller runs threads), so their parent is
  the solving process itself, not a shared forkserver that would survive it;
- on Linux each worker asks the kernel for SIGKILL when its parent thread dies
  (``prctl(PR_SET_PDEATHSIG)``) and takes the name ``grappes-solveur``; everywhere, a
  watchdog thread kills the worker as soon as its parent pid changes (the parent died and
  the worker was re-parented);
- a worker still starting (importing) when its parent dies exits as soon as its start ends
  (its parent pid has changed);
- workers ignore SIGINT: a Ctrl-C reaches the parent, which kills them (`terminate`);
- any exception in the parent's loop (a cancel raised by the progress callback, SystemExit,
  KeyboardInterrupt) kills the workers at once instead of waiting for running CP-SAT
  sub-problems (`DyingPool.__exit__`).

A spawned worker imports the parent's main module, then OR-Tools: about 1.5 s of CPU, 9 s at
load 17. `DyingPool.started` starts every worker at once and has it import `PRELOAD` while
the parent prepares the run, so that the workers are ready when the sub-problems are.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType

#: linux/prctl.h
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
#: Process name of a worker once it watches its parent (``ps -o comm``, ``top``).
WORKER_NAME = b"grappes-solveur"
#: Seconds between two checks of the parent pid by a worker's watchdog.
WATCH_INTERVAL_S = 0.5
#: What a worker imports as soon as it starts (`DyingPool.started`): the sub-problem model.
PRELOAD = "solver.model"


def preload(module: str) -> None:
    """Worker task: import `module` (the worker's start-up, done ahead)."""
    importlib.import_module(module)


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: make this worker die when `parent_pid` dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
            libc.prctl(PR_SET_NAME, ctypes.c_char_p(WORKER_NAME), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the kernel could watch it
        os._exit(1)
    watchdog = threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="grappes-parent-watch", daemon=True
    )
    watchdog.start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        if os.getppid() != parent_pid:
            os._exit(1)


class DyingPool(ProcessPoolExecutor):
    """A `ProcessPoolExecutor` of spawned workers that die with this process, and that are
    killed (not waited for) when the ``with`` block ends on an exception."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(
            max_workers=max_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )

    @classmethod
    def started(cls, max_workers: int) -> DyingPool:
        """A pool whose `max_workers` workers are being started now, each importing
        `PRELOAD` (one task per worker: an idle worker is re-used, so each task starts one)."""
        pool = cls(max_workers)
        for _ in range(max_workers):
            pool.submit(preload, PRELOAD)
        return pool

    def worker_pids(self) -> list[int]:
        """Pids of the live worker processes."""
        return [p.pid for p in list((self._processes or {}).values()) if p.pid is not None]

    def terminate(self) -> None:
        """Kill every worker now (running sub-problems are lost) and release the pool."""
        processes = list((self._processes or {}).values())
        for process in processes:
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                process.join(timeout=2)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        if exc_type is not None:
            self.terminate()
            return None
        return super().__exit__(exc_type, exc_val, exc_tb)
