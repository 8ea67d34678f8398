"""Commands of the declarations room: import declarations, editors and embarkation lists,
write the template, review editor matches. Thin: parse options, call an importer or a
service, commit once, print a French summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import current_app

from importers.declaration_template import write_template
from importers.errors import ImportRefused, RowError
from importers.reports import ImportSummary
from matchmaker.campaigns.services import create_operator_campaign
from matchmaker.declarations import services
from matchmaker.editors import services as editor_services
from matchmaker.extensions import db
from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.editors import import_editors
from matchmaker.imports.embarkation import import_embarked

#: How many problems a summary prints before pointing to the report.
SHOWN_ERRORS = 30

#: French labels of the importers' extra counters.
EXTRA_LABELS = {
    "editeurs_reconnus": "noms d'éditeurs reconnus automatiquement",
    "editeurs_a_verifier": "noms d'éditeurs proposés à vérification",
    "editeurs_inconnus": "noms d'éditeurs non reconnus",
    "editeurs_en_attente_ajoutes": "nouveaux noms mis en attente de vérification",
    "editeurs_crees": "éditeurs créés",
    "alias_crees": "alias créés",
}

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback (done, total) drawing a click bar, opened on first call."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=max(total, 1), label=label, file=None)
            state["bar"].__enter__()
            state["done"] = 0
        state["bar"].update(max(done - state["done"], 0))
        state["done"] = done

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


def _echo_errors(errors: list[RowError]) -> None:
    for error in errors[:SHOWN_ERRORS]:
        click.echo(f"  - {error}")
    if len(errors) > SHOWN_ERRORS:
        click.echo(f"  … et {len(errors) - SHOWN_ERRORS} autre(s) (voir le rapport).")


def _echo_summary(summary: ImportSummary, noun: str) -> None:
    verb = "seraient" if summary.dry_run else "ont été"
    click.echo(
        f"{summary.file} : {summary.created} {noun} créé(e)s, {summary.changed} modifié(e)s, "
        f"{summary.unchanged} inchangé(e)s, {summary.rejected} ligne(s) rejetée(s)"
        + (" — simulation, rien n'a été écrit." if summary.dry_run else ".")
    )
    if summary.ignored_headers:
        click.echo("Colonnes ignorées : " + ", ".join(summary.ignored_headers))
    for name, value in summary.extra.items():
        click.echo(f"  {EXTRA_LABELS.get(name, name)} : {value}")
    if summary.blocking:
        click.echo(f"Lignes rejetées ({len(summary.blocking)} erreur(s)) — elles {verb} ignorées :")
        _echo_errors(summary.blocking)
    if summary.warnings:
        click.echo(f"Avertissements ({len(summary.warnings)}) :")
        _echo_errors(summary.warnings)
    if summary.report_path:
        click.echo(f"Rapport des rejets : {summary.report_path}")


def _refused(exc: ImportRefused) -> click.ClickException:
    db.session.rollback()
    click.echo(f"Fichier refusé : {exc.message}", err=True)
    _echo_errors(exc.errors)
    return click.ClickException("import annulé, la base n'a pas été modifiée.")


def _finish(dry_run: bool) -> None:
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()


@click.command("import-declarations")
@click.argument("file", type=existing_file)
@click.option("--campaign", "campaign_name", required=True, help="Nom de la campagne.")
@click.option("--dry-run", is_flag=True, help="Simuler : afficher le bilan sans rien écrire.")
@click.option("--strict", is_flag=True, help="Refuser tout le fichier à la moindre erreur.")
def import_declarations_command(
    file: Path, campaign_name: str, dry_run: bool, strict: bool
) -> None:
    """Importe un fichier de déclarations (CSV ou XLSX) dans une campagne."""
    session = db.session
    campaign = services.find_campaign(session, campaign_name)
    new_campaign = campaign is None
    if campaign is None:
        # Created in the import's transaction: it exists only if the import is written.
        campaign = create_operator_campaign(session, campaign_name)
    thresholds = editor_services.thresholds_from(current_app.config)
    try:
        with _progress("Lecture des déclarations") as progress:
            summary = import_declarations(
                session,
                file,
                campaign,
                dry_run=dry_run,
                strict=strict,
                thresholds=thresholds,
                progress=progress,
            )
    except ImportRefused as exc:
        if new_campaign:
            click.echo(
                f"La campagne « {campaign_name} » n'existe pas : elle aurait été créée avec "
                "l'import ; le fichier étant refusé, elle n'a pas été créée.",
                err=True,
            )
        raise _refused(exc) from exc
    _finish(dry_run)
    if new_campaign:
        click.echo(
            f"La campagne « {campaign_name} » n'existait pas : "
            + (
                "elle serait créée (simulation, rien n'a été écrit)."
                if dry_run
                else "elle a été créée."
            )
        )
    _echo_summary(summary, "déclaration(s)")
    pending = summary.extra.get("editeurs_a_verifier", 0) + summary.extra.get(
        "editeurs_inconnus", 0
    )
    if pending and not dry_run:
        click.echo("Noms d'éditeurs à vérifier : `grappes editors review`.")


@click.command("import-editors")
@click.argument("file", type=existing_file)
@click.option("--dry-run", is_flag=True, help="Simuler : afficher le bilan sans rien écrire.")
@click.option("--strict", is_flag=True, help="Refuser tout le fichier à la moindre erreur.")
def import_editors_command(file: Path, dry_run: bool, strict: bool) -> None:
    """Importe le référentiel des éditeurs (colonnes editeur, solution, reference_segur)."""
    try:
        summary = import_editors(db.session, file, dry_run=dry_run, strict=strict)
    except ImportRefused as exc:
        raise _refused(exc) from exc
    _finish(dry_run)
    _echo_summary(summary, "ligne(s)")


@click.command("import-embarked")
@click.argument("file", type=existing_file)
@click.option("--dry-run", is_flag=True, help="Simuler : afficher le bilan sans rien écrire.")
@click.option("--strict", is_flag=True, help="Refuser tout le fichier à la moindre erreur.")
def import_embarked_command(file: Path, dry_run: bool, strict: bool) -> None:
    """Importe une liste d'ESSMS embarqués (finess_et, dispositif, editeur, annee, projet)."""
    thresholds = editor_services.thresholds_from(current_app.config)
    try:
        summary = import_embarked(
            db.session, file, dry_run=dry_run, strict=strict, thresholds=thresholds
        )
    except ImportRefused as exc:
        raise _refused(exc) from exc
    _finish(dry_run)
    _echo_summary(summary, "ligne(s)")


@click.group("template")
def template_group() -> None:
    """Modèles de fichiers à envoyer aux ESSMS."""


@template_group.command("declarations")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier à écrire : .xlsx (avec listes et aide) ou .csv.",
)
def template_declarations(out: Path) -> None:
    """Écrit le modèle de déclaration (CSV ou XLSX selon l'extension)."""
    path = write_template(out)
    click.echo(f"Modèle de déclaration écrit : {path}")


@click.group("editors")
def editors_group() -> None:
    """Référentiel des éditeurs."""


@editors_group.command("review")
@click.option("--confirm", "confirm_id", type=int, help="N° de la correspondance à confirmer.")
@click.option("--editor", "editor_name", help="Éditeur à retenir (avec --confirm).")
@click.option("--reject", "reject_id", type=int, help="N° de la correspondance à rejeter.")
def editors_review(confirm_id: int | None, editor_name: str | None, reject_id: int | None) -> None:
    """Liste les noms d'éditeurs à vérifier, ou en confirme / rejette un."""
    session = db.session
    if confirm_id is not None and reject_id is not None:
        raise click.UsageError("--confirm et --reject ne vont pas ensemble.")
    try:
        if confirm_id is not None:
            if not editor_name:
                raise click.UsageError("--confirm demande --editor NOM.")
            alias = editor_services.confirm_match(session, confirm_id, editor_name)
            session.commit()
            click.echo(f"« {alias.alias} » est désormais reconnu comme « {alias.editor.name} ».")
            return
        if reject_id is not None:
            match = editor_services.reject_match(session, reject_id)
            session.commit()
            click.echo(f"« {match.raw_text} » est rejeté : il ne sera plus proposé.")
            return
    except editor_services.EditorReviewError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    pending = editor_services.pending_matches(session)
    if not pending:
        click.echo("Aucun nom d'éditeur à vérifier.")
        return
    click.echo(f"{len(pending)} nom(s) d'éditeur à vérifier :")
    click.echo(f"{'n°':>5}  {'nom saisi':<40} {'lignes':>6}  proposition")
    for match in pending:
        proposal = (
            f"{match.suggested_editor.name} ({match.score:.0%})"
            if match.suggested_editor
            else "aucune"
        )
        click.echo(f"{match.id:>5}  {match.raw_text[:40]:<40} {match.occurrences:>6}  {proposal}")
    click.echo("Confirmer : grappes editors review --confirm N --editor NOM ; rejeter : --reject N")


COMMANDS = (
    import_declarations_command,
    import_editors_command,
    import_embarked_command,
    template_group,
    editors_group,
)
