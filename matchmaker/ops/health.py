"""Liveness and readiness, for the load balancer and the supervisor.

``GET /sante`` is liveness: 200 while the process serves requests; it touches nothing else,
so that a database outage does not make the supervisor restart healthy web workers.

``GET /sante/pret`` is readiness: the database answers ``SELECT 1`` within
:data:`PROBE_TIMEOUT_S`, its schema is at the migrations' head (``alembic current`` ==
``alembic heads``), and Redis answers when jobs go through it (``rq`` backend); 503
otherwise, the JSON naming what is down. The queue is reported, not judged: the oldest
queued job's age tells an operator that workers are missing, while the site itself still
serves (taking the web out of the load balancer would not bring a worker back).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from matchmaker.models.jobs import Job
from matchmaker.resources import data_folder
from matchmaker.vocabulary import RunStatus

#: Each probe gives up after this long, in seconds (a load balancer waits a few seconds).
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Probe:
    """One dependency: reachable or not, how long it took, the error's class if any."""

    ok: bool
    duration_ms: float
    error: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"ok": self.ok, "duree_ms": round(self.duration_ms, 1), "erreur": self.error}


@dataclass(frozen=True)
class Schema:
    """The database's migration revision against the code's head (None: unknown/empty)."""

    current: str | None
    heads: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.current is not None and (self.current,) == self.heads

    def payload(self) -> dict[str, Any]:
        return {"ok": self.ok, "actuelle": self.current, "attendue": ",".join(self.heads)}


@dataclass(frozen=True)
class Readiness:
    database: Probe
    schema: Schema | None
    redis: Probe | None
    queued_jobs: int | None
    oldest_queued_age_s: float | None
    rq_queue_length: int | None

    @property
    def ready(self) -> bool:
        return (
            self.database.ok
            and self.schema is not None
            and self.schema.ok
            and (self.redis is None or self.redis.ok)
        )

    @property
    def down(self) -> list[str]:
        """What is not ready, by the payload's keys."""
        failed = []
        if not self.database.ok:
            failed.append("base_de_donnees")
        if self.database.ok and (self.schema is None or not self.schema.ok):
            failed.append("migrations")
        if self.redis is not None and not self.redis.ok:
            failed.append("redis")
        return failed

    def payload(self) -> dict[str, Any]:
        """The JSON of ``/sante`` (French keys, as every page of the site)."""
        return {
            "statut": "pret" if self.ready else "indisponible",
            "en_panne": self.down,
            "base_de_donnees": self.database.payload(),
            "migrations": None if self.schema is None else self.schema.payload(),
            "redis": None if self.redis is None else self.redis.payload(),
            "taches": {
                "en_attente": self.queued_jobs,
                "plus_ancienne_en_attente_s": (
                    None if self.oldest_queued_age_s is None else round(self.oldest_queued_age_s)
                ),
                "file_rq": self.rq_queue_length,
            },
        }


def check(session: Session, config: Mapping[str, Any]) -> Readiness:
    """Probe the database (and the queue it holds), then Redis when jobs use it. The
    session's work is rolled back: the probe writes nothing."""
    database, schema, queued, oldest = _probe_database(session)
    redis: Probe | None = None
    rq_length: int | None = None
    if config.get("REDIS_URL"):
        redis, rq_length = _probe_redis(config)
    return Readiness(database, schema, redis, queued, oldest, rq_length)


@cache
def migration_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations shipped with this code (read once)."""
    return tuple(sorted(ScriptDirectory(str(data_folder("migrations"))).get_heads()))


def _probe_database(
    session: Session,
) -> tuple[Probe, Schema | None, int | None, float | None]:
    started = time.perf_counter()
    try:
        if session.get_bind().dialect.name == "postgresql":
            timeout_ms = int(PROBE_TIMEOUT_S * 1000)
            session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
        session.execute(text("SELECT 1"))
        probe = _ok(started)
        current = MigrationContext.configure(session.connection()).get_current_revision()
        count, oldest = session.execute(
            select(func.count(), func.min(Job.created_at)).where(Job.status == RunStatus.QUEUED)
        ).one()
    except Exception as error:  # any failure means not ready; the class name is enough
        return _failed(started, error), None, None, None
    finally:
        session.rollback()
    schema = Schema(current, migration_heads())
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite returns naive UTC datetimes
            oldest = oldest.replace(tzinfo=UTC)
        age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return probe, schema, int(count), age


def _probe_redis(config: Mapping[str, Any]) -> tuple[Probe, int | None]:
    from redis import Redis
    from rq import Queue

    started = time.perf_counter()
    connection = Redis.from_url(
        str(config["REDIS_URL"]),
        socket_timeout=PROBE_TIMEOUT_S,
        socket_connect_timeout=PROBE_TIMEOUT_S,
    )
    try:
        connection.ping()
        length = Queue(str(config["JOB_RQ_QUEUE"]), connection=connection).count
    except Exception as error:  # unreachable, refused, timed out: not ready
        return _failed(started, error), None
    finally:
        connection.close()
    return _ok(started), int(length)


def _ok(started: float) -> Probe:
    return Probe(True, (time.perf_counter() - started) * 1000)


def _failed(started: float, error: BaseException) -> Probe:
    # Only the class: the message may hold a host name or a user, and /sante is public.
    return Probe(False, (time.perf_counter() - started) * 1000, type(error).__name__)
