"""What a job function receives, and the exceptions that end a job."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matchmaker.jobs import state
from matchmaker.models import User
from matchmaker.ops.logs import JobLog

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised by :meth:`JobContext.check_cancelled` when a user asked to cancel the job;
    the runner rolls the job's work back and marks it cancelled."""


class JobError(Exception):
    """A failure whose message (French) is shown to users as the job's error, as is."""


@dataclass
class JobContext:
    """The job's view of the world.

    ``session`` is the job's own session (scoped to the job's thread): the job's writes
    are committed by the runner when the function returns, or rolled back when it raises.
    A job may commit earlier itself (long imports in chunks). ``progress`` and
    ``check_cancelled`` use other connections, so the site reads them while the job runs
    (on SQLite, only outside the job's own transactions: see ``holds_sqlite_snapshot``).
    """

    job_id: int
    kind: str
    params: dict[str, Any]
    session: Session
    config: Mapping[str, Any]
    user_id: int | None = None
    campaign_id: int | None = None
    engine: Engine | None = None
    #: Minimum seconds between two progress writes with the same message.
    progress_interval_s: float = 0.5
    #: The job's log lines, written on its row with each progress write.
    log: JobLog | None = None
    _last_write: float = field(default=0.0, repr=False)
    _last_message: str | None = field(default=None, repr=False)
    _last_logged: str | None = field(default=None, repr=False)

    @property
    def user(self) -> User | None:
        """The user who started the job (None for the command line)."""
        return None if self.user_id is None else self.session.get(User, self.user_id)

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report progress (0..1, clamped) with a French message, then honour a pending
        cancellation (raises :class:`JobCancelled`).

        Writes are committed in their own short transaction; calls with an unchanged
        message closer than ``progress_interval_s`` apart are not written (cheap to call
        for every line of a file).
        """
        fraction = min(1.0, max(0.0, float(fraction)))
        now = time.monotonic()
        changed = message is not None and message != self._last_message
        if message is not None and message != self._last_logged:
            self._last_logged = message
            logger.info("%s (%d %%)", message, round(fraction * 100))
        if not changed and now - self._last_write < self.progress_interval_s:
            return
        if self.holds_sqlite_snapshot():
            self.check_cancelled()
            return
        log = self.log.text() if self.log is not None and self.log.changed() else None
        written = state.write_progress(self._engine, self.job_id, fraction, message, log)
        if written:
            self._last_write = now
            if message is not None:
                self._last_message = message
        self.check_cancelled()

    def holds_sqlite_snapshot(self) -> bool:
        """On SQLite, whether the job's session is inside a transaction.

        A SQLite (WAL) transaction that has read cannot write any more once another
        connection has committed a write ("database is locked", whatever the timeout): so
        while the job's session is in a transaction, progress and heartbeats are not
        written (PostgreSQL has no such limit). Jobs commit, or have not read yet, at the
        points where they want their progress seen.
        """
        return self._engine.dialect.name == "sqlite" and self.session.in_transaction()

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` when a user asked to cancel the job."""
        if state.cancel_requested(self._engine, self.job_id):
            raise JobCancelled(f"Tâche n° {self.job_id} annulée à la demande.")

    @property
    def _engine(self) -> Engine:
        engine = self.engine if self.engine is not None else self.session.get_bind()
        assert isinstance(engine, Engine)
        return engine
