"""Unbound extension objects; models, views and services import them from here."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from matchmaker.rules import ProgrammeRules

EXTENSION_KEY = "grappes.db"
#: Where ``create_app`` keeps the app's programme rules (``matchmaker.rules``).
RULES_KEY = "grappes.rules"


def rules_of(app: Flask) -> ProgrammeRules:
    """The programme rules of ``app``, built once by ``create_app``."""
    return cast(ProgrammeRules, app.extensions[RULES_KEY])


def current_rules() -> ProgrammeRules:
    """The programme rules of the current app."""
    return rules_of(current_app)


class AppSession(Session):
    """A session bound to the current app's engine, unless given an explicit bind (tests
    bind a connection whose transaction they roll back)."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        if self.bind is not None:
            return self.bind
        return db.engine


class Database:
    """The database handle: one engine per app, one scoped session per app context.

    Each app created by ``create_app`` keeps its own engine in ``app.extensions``, so that
    several apps (tests, jobs) never share or overwrite each other's. ``scoped`` is a
    ``scoped_session`` removed at the end of every app context; ``session`` is the same
    object typed as the ``Session`` it proxies, which is what services take. Services receive
    it as an argument; the CLI and jobs use ``db.session`` inside an app context.
    """

    def __init__(self) -> None:
        self.session_factory = sessionmaker(class_=AppSession, expire_on_commit=False)
        self.scoped: scoped_session[AppSession] = scoped_session(self.session_factory)
        #: The current app context's session (``scoped`` proxies every ``Session`` method).
        self.session = cast(Session, self.scoped)

    def init_app(self, app: Flask) -> None:
        """Create the app's engine from ``DATABASE_URL`` and register the teardown."""
        app.extensions[EXTENSION_KEY] = make_engine(
            app.config["DATABASE_URL"],
            sqlite_busy_timeout_s=float(app.config.get("SQLITE_BUSY_TIMEOUT_S") or 30),
        )

        @app.teardown_appcontext
        def remove_session(exc: BaseException | None) -> None:
            self.scoped.remove()

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return self.engine_of(current_app)

    @staticmethod
    def engine_of(app: Flask) -> Engine:
        """The engine of ``app`` (usable outside its context)."""
        engine: Engine = app.extensions[EXTENSION_KEY]
        return engine


def make_engine(url: str, *, sqlite_busy_timeout_s: float = 30.0, **kwargs: Any) -> Engine:
    """An engine with the project's settings: SQLite gets foreign keys, WAL and a busy
    timeout (a write waits up to ``sqlite_busy_timeout_s`` for another one to finish
    instead of failing at once with « database is locked »)."""
    if url.startswith("sqlite"):
        connect_args = {"timeout": sqlite_busy_timeout_s, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # SQLAlchemy's recipe for pysqlite: let SQLAlchemy emit BEGIN itself, so that
            # SAVEPOINTs nest inside a real transaction (without it, releasing the first
            # savepoint commits, and the tests' rolled-back transaction leaks).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_s * 1000)}")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
#: Counters live where ``RATELIMIT_STORAGE_URI`` says: Redis when ``REDIS_URL`` is set, so
#: that every worker shares them, memory otherwise (see ``create_app``).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
