"""The ``grappes`` console script: Flask's CLI (``run``, ``shell``…) plus our commands.

Commands are thin: they parse options, call a service or an importer, and echo a summary
in French. Each room registers its commands in ``register_commands``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from matchmaker.auth.cli import users_group
from matchmaker.funding.cli import funding_command
from matchmaker.grappes.cli import runs_command, solve_command
from matchmaker.jobs.cli import jobs_command, worker_command


def _create_app() -> Flask:
    from matchmaker import create_app

    return create_app(ephemeral_secret=True)


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli() -> None:
    """Grappes : import FINESS, déclarations, formation des grappes, site."""


@click.group("db")
def db_group() -> None:
    """Schéma de la base de données (migrations Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Met la base à jour jusqu'à REVISION (par défaut la dernière)."""
    from matchmaker import migrations  # Alembic: loaded by the db commands only

    migrations.upgrade(revision)
    click.echo(f"Base de données à jour ({migrations.current() or 'vide'}).")


@db_group.command("current")
def db_current() -> None:
    """Affiche la révision actuelle de la base."""
    from matchmaker import migrations

    click.echo(migrations.current() or "aucune révision (base vide)")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="Description de la révision.")
def db_revision(message: str) -> None:
    """Crée une révision à partir des différences entre modèles et base (développeurs)."""
    from matchmaker import migrations

    path = migrations.revision(message)
    click.echo(f"Révision créée : {path}")


@click.command("settings")
@click.option(
    "--readme",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Réécrit la table entre les marqueurs settings:start/end de ce fichier.",
)
def settings_command(readme: Path | None) -> None:
    """Affiche la table des réglages (Markdown, pour le README)."""
    from matchmaker.config import markdown_table

    table = markdown_table()
    if readme is None:
        click.echo(table)
        return
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- settings:start -->", "<!-- settings:end -->"
    if start not in text or end not in text:
        raise click.ClickException(f"Marqueurs {start} / {end} absents de {readme}.")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")
    click.echo(f"Table des réglages mise à jour dans {readme}.")


def register_commands(app: Flask) -> None:
    """Attach every room's commands to ``app.cli``."""
    app.cli.add_command(db_group)
    app.cli.add_command(settings_command)
    app.cli.add_command(users_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_command)
    app.cli.add_command(solve_command)
    app.cli.add_command(runs_command)
    app.cli.add_command(funding_command)

    from matchmaker.declarations.cli import COMMANDS as declaration_commands

    for command in declaration_commands:
        app.cli.add_command(command)

    from matchmaker.establishments.cli import COMMANDS as establishment_commands

    for command in establishment_commands:
        app.cli.add_command(command)
