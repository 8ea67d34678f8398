"""Alembic, driven from the app: ``grappes db upgrade`` and the schema test use this."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from flask import current_app
from sqlalchemy import Engine

from matchmaker.extensions import db
from matchmaker.resources import data_folder


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(data_folder("migrations")))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def _engine() -> Engine:
    engine = db.engine
    current_app.logger.debug("migrations on %s", engine.url)
    return engine


def upgrade(revision: str = "head", engine: Engine | None = None) -> None:
    """Upgrade the database to ``revision``."""
    command.upgrade(alembic_config(engine or _engine()), revision)


def current(engine: Engine | None = None) -> str | None:
    """The database's current revision, or None for an empty database."""
    with (engine or _engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def revision(message: str, engine: Engine | None = None) -> str:
    """Autogenerate a revision from the models; returns its path."""
    script = command.revision(alembic_config(engine or _engine()), message, autogenerate=True)
    assert script is not None and not isinstance(script, list)
    return script.path
