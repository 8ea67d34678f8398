"""``grappes solve`` and ``grappes runs``.

The header imports click alone: ``grappes solve --help`` reads this module to print the
options, and must not load the app, SQLAlchemy or the solver (issue 14, light commands
≤ 1 s); the commands import what they use when they run.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from matchmaker.models import SolverRun


@click.command("solve")
@click.option("--campaign", "campaign_name", help="Nom de la campagne (déclarations, verrous).")
@click.option(
    "--scope",
    help="Départements (31,2A,974) et/ou régions préfixées par R (R76), séparés par des "
    "virgules. Par défaut : le périmètre de la campagne.",
)
@click.option(
    "--planning",
    is_flag=True,
    help="Mode planification : tous les ESSMS non embarqués du périmètre (ARS).",
)
@click.option("--min-size", type=click.IntRange(1), help="Taille minimale d'une grappe.")
@click.option("--min-size-overseas", type=click.IntRange(1), help="Taille minimale outre-mer.")
@click.option("--max-size", type=click.IntRange(1), help="Taille maximale d'une grappe.")
@click.option("--max-distance", type=click.FloatRange(0), help="Distance maximale au centre (km).")
@click.option("--time-limit", type=click.FloatRange(1), help="Temps maximal (secondes).")
@click.option("--workers", type=click.IntRange(1), help="Sous-problèmes résolus en parallèle.")
@click.option("--seed", type=int, help="Graine aléatoire (résultats reproductibles).")
@click.option("--resolve", "parent_id", type=int, help="Repartir de l'exécution n° ID.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Fichier CSV des résultats (une ligne par candidat).",
)
def solve_command(
    campaign_name: str | None,
    scope: str | None,
    planning: bool,
    min_size: int | None,
    min_size_overseas: int | None,
    max_size: int | None,
    max_distance: float | None,
    time_limit: float | None,
    workers: int | None,
    seed: int | None,
    parent_id: int | None,
    out: Path,
) -> None:
    """Forme les grappes d'une campagne (ou d'un périmètre en mode planification)."""
    from flask import current_app
    from sqlalchemy import select

    from matchmaker.extensions import db
    from matchmaker.grappes import runs
    from matchmaker.grappes.errors import RunError
    from matchmaker.grappes.params import solve_params
    from matchmaker.grappes.results import write_results_csv
    from matchmaker.grappes.scope import campaign_scope, resolve_scope
    from matchmaker.grappes.storage import create_run
    from matchmaker.models import Campaign, SolverRun
    from matchmaker.vocabulary import RunMode

    session = db.session
    campaign = None
    if campaign_name:
        campaign = session.scalar(select(Campaign).where(Campaign.name == campaign_name))
        if campaign is None:
            raise click.ClickException(f"Campagne inconnue : « {campaign_name} ».")
    elif not planning:
        raise click.ClickException("Indiquez --campaign, ou --planning avec --scope.")
    try:
        if scope:
            departments = resolve_scope(scope.split(","))
        else:
            departments = campaign_scope(campaign) if campaign else []
        if planning and not departments:
            raise RunError("Le mode planification demande un périmètre (--scope).")
        params = solve_params(
            current_app.config,
            campaign.solver_params if campaign else None,
            {
                "min_size": min_size,
                "min_size_overseas": min_size_overseas,
                "max_size": max_size,
                "max_distance_km": max_distance,
                "time_limit_s": time_limit,
                "num_workers": workers,
                "random_seed": seed,
            },
        )
    except RunError as error:
        raise click.ClickException(str(error)) from error
    parent = session.get(SolverRun, parent_id) if parent_id else None
    if parent_id and parent is None:
        raise click.ClickException(f"Exécution inconnue : {parent_id}.")
    run = create_run(
        session,
        campaign=campaign,
        mode=RunMode.PLANNING if planning else RunMode.INTEREST,
        departments=departments,
        params=params,
        parent=parent,
    )
    session.commit()
    click.echo(f"Exécution n° {run.id} : {len(departments) or 'tous les'} département(s).")
    with click.progressbar(length=1000, label="Résolution", show_eta=False) as bar:
        done = 0

        def advance(fraction: float, message: str) -> None:
            nonlocal done
            target = int(fraction * 1000)
            if target > done:
                bar.update(target - done)
                done = target
            bar.label = message[:60]

        try:
            with runs.stop_on_signals():
                runs.execute_run(session, run, progress=advance)
        except runs.RunInterrupted as stop:
            click.echo(f"\nExécution n° {run.id} : {stop}.", err=True)
            raise SystemExit(128 + signal.Signals[stop.signal_name].value) from stop
        except Exception as error:
            raise click.ClickException(f"Échec de l'exécution n° {run.id} : {error}") from error
    rows = write_results_csv(session, run, out)
    click.echo(summary(run))
    click.echo(f"{rows} lignes écrites dans {out}.")


def summary(run: SolverRun) -> str:
    """The run's figures in French."""
    from matchmaker.grappes.run_figures import cut_short_of, global_gap_of

    coverage = f"{100 * run.coverage:.1f} %" if run.coverage is not None else "—"
    gap = f"{100 * run.gap:.2f} %" if run.gap is not None else "—"
    mean = (
        f"{run.total_km / run.covered_count:.1f} km"
        if run.covered_count and run.total_km is not None
        else "—"
    )
    global_gap = global_gap_of(run)
    global_text = f"{100 * global_gap:.2f} %" if global_gap is not None else "—"
    cut = " (interrompu par la limite de temps : meilleure solution gardée)"
    return (
        f"Exécution n° {run.id} ({run.solver_status}) : {len(run.grappes)} grappes, "
        f"{run.covered_count}/{run.candidate_count} candidats couverts ({coverage}), "
        f"distance moyenne au centre {mean}, écart à la borne globale {global_text}, "
        f"écart à la borne du modèle décomposé {gap}, "
        f"{run.wall_time_s or 0:.1f} s{cut if cut_short_of(run) else ''}."
    )


@click.command("runs")
@click.option("--campaign", "campaign_name", help="Seulement les exécutions de cette campagne.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
def runs_command(campaign_name: str | None, limit: int) -> None:
    """Liste les exécutions du solveur et leurs chiffres."""
    from sqlalchemy import select

    from matchmaker.extensions import db
    from matchmaker.grappes import freshness
    from matchmaker.models import Campaign, SolverRun
    from matchmaker.vocabulary import RunStatus

    query = select(SolverRun).order_by(SolverRun.id.desc()).limit(limit)
    if campaign_name:
        query = query.join(Campaign).where(Campaign.name == campaign_name)
    found = False
    for run in db.session.scalars(query):
        found = True
        if run.status == RunStatus.SUCCEEDED:
            click.echo(summary(run))
            changes = freshness.changes_since(db.session, run)
            if changes:
                click.echo(f"  {freshness.changed_text(changes)}")
        else:
            detail = f" : {run.error}" if run.error else ""
            click.echo(f"Exécution n° {run.id} : {run.status}{detail}")
    if not found:
        click.echo("Aucune exécution.")
