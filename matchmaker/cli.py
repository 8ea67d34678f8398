"""The ``grappes`` console script: Flask's CLI (``run``, ``shell``…) plus our commands.

Commands are thin: they parse options, call a service or an importer, and echo a summary
in French. Each room's commands live in its ``cli.py`` and are listed once, in
:data:`COMMANDS`, with the short help that ``grappes --help`` prints: the group imports a
command's module only when that command runs (click's « lazy group »), and builds the app
only for the commands that need it, so ``grappes --help`` and the light commands start in
well under a second (``bench/bench_cli.py``; ``tests/matchmaker/ops/test_startup.py`` checks which
modules they load).
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass
from gettext import gettext
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask.cli import FlaskGroup, ScriptInfo

if TYPE_CHECKING:
    from flask import Flask


@dataclass(frozen=True)
class LazyCommand:
    """A command of ``grappes`` loaded on use.

    ``target`` is ``"module:attribute"``; ``help`` is the command's short help (the first
    sentence of its docstring: ``tests/matchmaker/ops/test_startup.py`` checks they agree);
    ``in_app`` says whether it runs inside the app's context (database, settings) —
    ``funding`` and ``settings`` do not need the app; ``pages`` whether that app needs
    its pages (``create_app(pages=False)``: the ``db`` commands only need the database).
    """

    target: str
    help: str
    in_app: bool = True
    pages: bool = True

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command), self.target
        return command


#: Every command of ``grappes`` besides Flask's own (``run``, ``shell``, ``routes``).
COMMANDS: dict[str, LazyCommand] = {
    "db": LazyCommand(
        "matchmaker.cli:db_group",
        "Schéma de la base de données (migrations Alembic).",
        pages=False,
    ),
    "settings": LazyCommand(
        "matchmaker.cli:settings_command",
        "Affiche la table des réglages (Markdown, pour le README).",
        in_app=False,
    ),
    "users": LazyCommand("matchmaker.auth.cli:users_group", "Comptes utilisateurs."),
    "campaigns": LazyCommand("matchmaker.campaigns.cli:campaigns_group", "Campagnes."),
    "worker": LazyCommand(
        "matchmaker.jobs.cli:worker_command",
        "Exécute les tâches de fond (imports, calculs de grappes).",
    ),
    "jobs": LazyCommand(
        "matchmaker.jobs.cli:jobs_command",
        "Tâches de fond en attente ou en cours ; « clear » arrête les tâches bloquées.",
    ),
    "solve": LazyCommand(
        "matchmaker.grappes.cli:solve_command",
        "Forme les grappes d'une campagne (ou d'un périmètre en mode planification).",
    ),
    "runs": LazyCommand(
        "matchmaker.grappes.cli:runs_command", "Liste les exécutions du solveur et leurs chiffres."
    ),
    "funding": LazyCommand(
        "matchmaker.funding.cli:funding_command",
        "Estime le financement ESMS numérique d'un projet ou des grappes d'une exécution.",
        in_app=False,
    ),
    "import-declarations": LazyCommand(
        "matchmaker.declarations.cli:import_declarations_command",
        "Importe un fichier de déclarations (CSV ou XLSX) dans une campagne.",
    ),
    "import-editors": LazyCommand(
        "matchmaker.declarations.cli:import_editors_command",
        "Importe le référentiel des éditeurs (colonnes editeur, solution, reference_segur).",
    ),
    "import-embarked": LazyCommand(
        "matchmaker.declarations.cli:import_embarked_command",
        "Importe une liste d'ESSMS embarqués (finess_et, dispositif, editeur, annee, projet).",
    ),
    "template": LazyCommand(
        "matchmaker.declarations.cli:template_group", "Modèles de fichiers à envoyer aux ESSMS."
    ),
    "editors": LazyCommand(
        "matchmaker.declarations.cli:editors_group", "Référentiel des éditeurs."
    ),
    "import-finess": LazyCommand(
        "matchmaker.establishments.cli:import_finess_command",
        "Importe un extrait FINESS (CSV data.gouv.fr cs1100507/cs1100502, ou flux JSON FINESS+).",
    ),
    "export-establishments": LazyCommand(
        "matchmaker.establishments.cli:export_establishments_command",
        "Exporte les établissements ouverts en CSV (un par ligne, avec coordonnées WGS84).",
    ),
    "demo": LazyCommand(
        "matchmaker.establishments.cli:demo_command",
        "Génère un extrait FINESS synthétique, met la base à jour et l'importe.",
    ),
}


def _in_app_context(command: click.Command, *, pages: bool = True) -> click.Command:
    """A copy of ``command`` that runs inside the app's context, the app being built when
    the command runs (not when it is listed or its ``--help`` printed), as Flask does
    for the commands it finds on ``app.cli``; without its pages when ``pages`` is
    False (and no app was given to the command line, as tests do)."""
    run = command.invoke

    def invoke(ctx: click.Context) -> Any:
        from flask import current_app

        info = ctx.ensure_object(ScriptInfo)
        if pages or info.create_app is not _create_app:
            app = info.load_app()
        else:
            app = _create_app(pages=False)
        if current_app and current_app._get_current_object() is app:  # type: ignore[attr-defined]
            return run(ctx)
        with app.app_context():
            return run(ctx)

    wrapped = copy.copy(command)
    wrapped.invoke = invoke  # type: ignore[method-assign]
    return wrapped


class GrappesGroup(FlaskGroup):
    """Flask's group whose own commands (:data:`COMMANDS`) and extensions' commands
    (``flask.commands`` entry points, such as Flask-Limiter's ``limiter``) are listed
    without building the app or importing them, and imported when they run."""

    _plugins: dict[str, metadata.EntryPoint] | None = None

    def _plugin_entry_points(self) -> dict[str, metadata.EntryPoint]:
        if self._plugins is None:
            self._plugins = {
                entry.name: entry for entry in metadata.entry_points(group="flask.commands")
            }
        return self._plugins

    def _load_plugin_commands(self) -> None:
        """Flask loads every plugin command up front; this group loads one on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = click.Group.list_commands(self, ctx)
        return sorted({*own, *COMMANDS, *self._plugin_entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = COMMANDS.get(cmd_name)
        if lazy is not None:
            command = lazy.load()
            return _in_app_context(command, pages=lazy.pages) if lazy.in_app else command
        plugin = self._plugin_entry_points().get(cmd_name)
        if plugin is not None and cmd_name not in self.commands:
            self.add_command(plugin.load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's list of commands; ours show the short help kept in :data:`COMMANDS`
        and an extension's its name (stand-in commands), rather than importing them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            lazy = COMMANDS.get(name)
            plugin = self._plugin_entry_points().get(name)
            if lazy is not None:
                command: click.Command | None = click.Command(name, help=lazy.help)
            elif plugin is not None and name not in self.commands:
                origin = plugin.dist.name if plugin.dist else plugin.module
                command = click.Command(name, help=f"Commandes de l'extension {origin}.")
            else:
                command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section(gettext("Commands")):
            formatter.write_dl(rows)


def _create_app(*, pages: bool = True) -> Flask:
    from matchmaker import create_app

    return create_app(ephemeral_secret=True, pages=pages)


@click.group(cls=GrappesGroup, create_app=_create_app)
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
    """Attach every command of :data:`COMMANDS` to ``app.cli`` (``flask --app matchmaker``
    and the tests' ``app.test_cli_runner()``; the ``grappes`` script loads them lazily)."""
    for name, lazy in COMMANDS.items():
        app.cli.add_command(lazy.load(), name)
