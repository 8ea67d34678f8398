"""``grappes import-finess``, ``grappes export-establishments`` and ``grappes demo``.

Thin commands: parse options, call the importer or the service, commit once, echo a French
summary. A refused file exits with status 1 and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from importers.errors import ImportRefused
from importers.formulas import SafeDictWriter
from importers.geography import REGIONS, UnknownDepartment, insee_department
from importers.synthetic import generate
from matchmaker import demo
from matchmaker.campaigns.runs import publish
from matchmaker.establishments.services import EXPORT_COLUMNS, export_establishments
from matchmaker.extensions import db
from matchmaker.grappes.cli import summary
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.runs import execute_run
from matchmaker.grappes.scope import campaign_scope
from matchmaker.grappes.storage import create_run
from matchmaker.imports.finess import ImportOutcome, import_finess
from matchmaker.models import Establishment, Role, User
from matchmaker.vocabulary import RunMode

#: Rejected lines shown after the summary (all are kept on the FinessImport row).
SHOWN_ERRORS = 10
DEMO_SIZE = 3000
DEMO_SEED = 2026
#: Time given to the demo's first solver run.
DEMO_SOLVE_SECONDS = 30


def _run_import(
    path: Path,
    ej_path: Path | None,
    *,
    strict: bool,
    dry_run: bool,
    label: str,
    allow_mass_close: bool = False,
) -> ImportOutcome:
    """Import with a progress bar; commit on success, roll back and exit 1 on refusal."""
    length = path.stat().st_size + (ej_path.stat().st_size if ej_path else 0)
    try:
        with click.progressbar(length=length, label=label) as bar:
            outcome = import_finess(
                db.session, path, ej_path=ej_path, strict=strict, dry_run=dry_run,
                allow_mass_close=allow_mass_close, progress=bar.update,
            )  # fmt: skip
    except ImportRefused as refused:
        db.session.rollback()
        for error in refused.errors[:SHOWN_ERRORS]:
            click.echo(f"  {error}", err=True)
        if len(refused.errors) > SHOWN_ERRORS:
            click.echo(f"  … et {len(refused.errors) - SHOWN_ERRORS} autres.", err=True)
        raise click.ClickException(f"Import refusé : {refused.message}") from refused
    if not dry_run:
        db.session.commit()
    return outcome


def _echo_summary(outcome: ImportOutcome) -> None:
    extract = outcome.extract
    when = f" (extrait du {extract.extract_date:%d/%m/%Y})" if extract.extract_date else ""
    finess_import = outcome.finess_import
    if finess_import is None:
        click.echo(
            f"Vérification seule (--dry-run) : rien n'a été écrit.\n"
            f"  {extract.file_name}{when} : {len(extract.records)} établissements lus, "
            f"{len(extract.rejected)} ligne(s) rejetée(s)."
        )
        if outcome.forecast is not None:
            click.echo("Prévision de l'import :")
            click.echo(f"  seraient créés : {outcome.forecast.created}")
            click.echo(f"  seraient modifiés : {outcome.forecast.changed}")
            click.echo(f"  seraient fermés : {outcome.forecast.closed}")
            click.echo(f"  resteraient inchangés : {outcome.forecast.unchanged}")
    else:
        click.echo(f"Import terminé : {extract.file_name}{when}")
        click.echo(f"  nouveaux : {finess_import.created_count}")
        click.echo(f"  modifiés : {finess_import.updated_count}")
        click.echo(f"  fermés : {finess_import.closed_count}")
        click.echo(f"  inchangés : {finess_import.unchanged_count}")
        click.echo(f"  rejetés : {finess_import.rejected_count}")
        click.echo(f"  organisations créées : {finess_import.organisation_count}")
    if extract.truncated:
        click.echo("Attention : le fichier semble tronqué ; aucun établissement n'a été fermé.")
    if extract.close_blocked:
        click.echo(
            f"Attention : {extract.close_blocked} établissement(s) absent(s) du fichier n'ont pas "
            "été fermés : c'est trop pour un extrait complet (fichier partiel ?). Relancez avec "
            "--allow-mass-close si l'extrait est bien complet pour ses départements."
        )
    rejected = extract.rejected
    if rejected:
        click.echo(f"Lignes rejetées ({min(len(rejected), SHOWN_ERRORS)} premières) :")
        for error in rejected[:SHOWN_ERRORS]:
            click.echo(f"  {error}")
    if extract.warnings:
        click.echo(f"{len(extract.warnings)} avertissement(s) (coordonnées, catégories…).")


@click.command("import-finess")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--ej",
    "ej_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Extrait des entités juridiques (cs1100501) : noms, statuts et SIREN des OG.",
)
@click.option("--strict", is_flag=True, help="Refuser tout le fichier à la moindre erreur.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Vérifier le fichier sans rien écrire et afficher la prévision (créés, modifiés, "
    "fermés, inchangés).",
)
@click.option(
    "--allow-mass-close",
    is_flag=True,
    help="Fermer les absents même s'ils sont nombreux (extrait complet mais très changé).",
)
@with_appcontext
def import_finess_command(
    path: Path, ej_path: Path | None, strict: bool, dry_run: bool, allow_mass_close: bool
) -> None:
    """Importe un extrait FINESS (CSV data.gouv.fr cs1100507/cs1100502, ou flux JSON FINESS+).

    Les établissements absents d'un extrait CSV sont marqués fermés, seulement dans les
    départements présents dans le fichier.
    """
    outcome = _run_import(
        path, ej_path, strict=strict, dry_run=dry_run, label="Lecture FINESS",
        allow_mass_close=allow_mass_close,
    )  # fmt: skip
    _echo_summary(outcome)


@click.command("export-establishments")
@click.option("--region", help="Code INSEE de la région (ex. 53 pour la Bretagne).")
@click.option("--department", help="Code du département (ex. 35, 2A, 974).")
@click.option("--essms-only", is_flag=True, help="Seulement les ESSMS.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Fichier CSV à écrire.",
)
@with_appcontext
def export_establishments_command(
    region: str | None, department: str | None, essms_only: bool, out: Path
) -> None:
    """Exporte les établissements ouverts en CSV (un par ligne, avec coordonnées WGS84)."""
    if region and region not in REGIONS:
        raise click.BadParameter(f"région inconnue : {region}", param_hint="--region")
    if department:
        try:
            department = insee_department(department)
        except UnknownDepartment as exc:
            raise click.BadParameter(
                f"département inconnu : {department}", param_hint="--department"
            ) from exc
    count = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeDictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in export_establishments(
            db.session, region=region, department=department, essms_only=essms_only
        ):
            writer.writerow(row)
            count += 1
    click.echo(f"{count} établissement(s) exporté(s) dans {out}.")


@click.command("demo")
@click.option("--size", default=DEMO_SIZE, show_default=True, help="Nombre d'établissements.")
@click.option("--seed", default=DEMO_SEED, show_default=True, help="Graine du générateur.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Où écrire l'extrait synthétique (par défaut : demo/ dans le dossier instance).",
)
@with_appcontext
def demo_command(size: int, seed: int, folder: Path | None) -> None:
    """Génère un extrait FINESS synthétique, met la base à jour et l'importe."""
    folder = folder or Path(current_app.instance_path) / "demo"
    extract = generate(folder, size=size, seed=seed)
    click.echo(
        f"Extrait synthétique écrit : {extract.establishments_path.name} "
        f"({len(extract.establishments)} établissements, {len(extract.organisations)} OG)."
    )
    from matchmaker import migrations  # Alembic: loaded by the commands that migrate

    migrations.upgrade()
    click.echo("Base de données à jour.")
    outcome = _run_import(
        extract.establishments_path, extract.ej_path, strict=True, dry_run=False,
        label="Import de la démo",
    )  # fmt: skip
    _echo_summary(outcome)
    _demo_campaign(folder, seed)


def _demo_campaign(folder: Path, seed: int) -> None:
    """Editors, the demo campaign and its declarations, accounts, a first solver run."""
    session = db.session
    seeded = demo.seed_campaign(session, folder, seed=seed)
    session.commit()
    click.echo(
        f"Campagne « {seeded.campaign.name} » : {seeded.editors} éditeurs et solutions, "
        f"{seeded.declarations} déclarations importées ({seeded.rejected} rejetées, voir "
        f"{folder / 'declarations.rejets.csv'}), {seeded.embarked} ESSMS déjà embarqués."
    )
    region = session.scalar(
        select(Establishment.region)
        .where(Establishment.is_essms.is_(True), Establishment.region.is_not(None))
        .group_by(Establishment.region)
        .order_by(func.count().desc())
        .limit(1)
    )
    params = solve_params(
        current_app.config, None, {"time_limit_s": DEMO_SOLVE_SECONDS, "random_seed": seed}
    )
    run = create_run(
        session,
        campaign=seeded.campaign,
        mode=RunMode.INTEREST,
        departments=campaign_scope(seeded.campaign),
        params=params,
    )
    session.commit()
    with click.progressbar(length=100, label="Formation des grappes") as bar:
        done = 0

        def advance(fraction: float, _message: str) -> None:
            nonlocal done
            bar.update(max(int(fraction * 100) - done, 0))
            done = max(done, int(fraction * 100))

        execute_run(session, run, progress=advance)
    click.echo(summary(run))
    accounts = demo.create_accounts(session, seeded.campaign, region, run)
    session.commit()
    if accounts:
        click.echo("Comptes de démonstration (mots de passe affichés une seule fois) :")
        for account in accounts:
            note = f" — {account.note}" if account.note else ""
            click.echo(f"  {account.role.value:9} {account.email}  {account.password}{note}")
    if run.grappes and run.published_at is None:
        admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
        if admin is not None:
            publish(session, admin, seeded.campaign, run)
            session.commit()
            click.echo(
                f"Calcul n° {run.id} publié : les organismes voient leurs grappes proposées."
            )
    click.echo("Étape suivante : lancez « grappes run » puis ouvrez http://127.0.0.1:5000/")


COMMANDS: tuple[click.Command, ...] = (
    import_finess_command,
    export_establishments_command,
    demo_command,
)
