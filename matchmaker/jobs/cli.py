"""``grappes worker`` runs the background jobs (RQ with ``REDIS_URL``, else the table);
``grappes jobs`` lists the jobs not ended and clears stuck ones."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs import backends, state, sweep
from matchmaker.models import Job
from matchmaker.vocabulary import JobStatus

#: The reason stored on a job cleared by an operator.
CLEARED_REASON = "Tâche arrêtée par un opérateur (grappes jobs clear) : relancez-la si besoin."


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


@click.command("worker")
@click.option("--burst", is_flag=True, help="S'arrête dès qu'il n'y a plus de tâche en attente.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Exécute les tâches de fond (imports, calculs de grappes)."""
    app = _app()
    name = backends.backend_name(app.config)
    if name == "rq":
        queue = app.config["JOB_RQ_QUEUE"]
        click.echo(f"Worker RQ sur la file « {queue} ».")
        sweeper = None if burst else sweep.Sweeper(app)
        with app.app_context():
            worker = backends.rq_worker(app)
            if sweeper is not None:
                sweeper.start()
            try:
                worker.work(burst=burst)
            finally:
                if sweeper is not None:
                    sweeper.stop()
        return
    click.echo("Worker sur la table des tâches (sans Redis).")
    ran = backends.work(app, burst=burst)
    click.echo(f"{ran} tâche(s) exécutée(s).")


@click.group("jobs", invoke_without_command=True)
@click.pass_context
@with_appcontext
def jobs_command(context: click.Context) -> None:
    """Tâches de fond en attente ou en cours ; « clear » arrête les tâches bloquées."""
    if context.invoked_subcommand is not None:
        return
    app = _app()
    engine = db.engine_of(app)
    stale_after = float(app.config["JOB_STALE_AFTER_S"])
    now = datetime.now(UTC)
    with Session(engine) as session:
        jobs = list(
            session.scalars(
                select(Job)
                .where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
                .order_by(Job.id)
            )
        )
        if not jobs:
            click.echo("Aucune tâche en attente ou en cours.")
            return
        click.echo("n°\tétat\ttype\tâge\tsigne de vie\tprocessus\tremarque")
        for job in jobs:
            since = job.started_at if job.status == JobStatus.RUNNING else job.created_at
            remark = ""
            if job.status == JobStatus.RUNNING:
                reason = state.stale_reason(
                    job, stale_after, now, sqlite=engine.dialect.name == "sqlite"
                )
                remark = "bloquée" if reason is not None else ""
                if job.cancel_requested:
                    remark = ", ".join(filter(None, [remark, "annulation demandée"]))
            click.echo(
                "\t".join(
                    [
                        str(job.id),
                        job.status_label,
                        job.kind,
                        _age(since, now),
                        _age(job.heartbeat_at, now) if job.status == JobStatus.RUNNING else "—",
                        f"{job.worker_host}:{job.worker_pid}" if job.worker_pid else "—",
                        remark or "—",
                    ]
                )
            )


@jobs_command.command("clear")
@click.argument("job_id", type=int, required=False)
@click.option("--stale", is_flag=True, help="Toutes les tâches en cours sans signe de vie.")
@with_appcontext
def clear_command(job_id: int | None, stale: bool) -> None:
    """Marque échouée une tâche (ou toutes les tâches bloquées avec --stale) ; son calcul
    ou son fichier suit."""
    app = _app()
    if (job_id is None) == (not stale):
        raise click.UsageError("Donnez un numéro de tâche ou --stale (l'un des deux).")
    if stale:
        cleared = sweep.recover_stale(app)
        click.echo(
            f"{len(cleared)} tâche(s) bloquée(s) marquée(s) en échec"
            + (f" : n° {', '.join(map(str, cleared))}." if cleared else ".")
        )
        return
    assert job_id is not None
    if not sweep.clear(app, job_id, CLEARED_REASON):
        raise click.ClickException(f"Tâche n° {job_id} introuvable ou déjà terminée.")
    click.echo(f"Tâche n° {job_id} marquée en échec.")


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
