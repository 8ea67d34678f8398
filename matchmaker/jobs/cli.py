"""``grappes worker``: runs the background jobs (RQ with ``REDIS_URL``, else the table)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from matchmaker.jobs import backends


@click.command("worker")
@click.option("--burst", is_flag=True, help="S'arrête dès qu'il n'y a plus de tâche en attente.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Exécute les tâches de fond (imports, calculs de grappes)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    name = backends.backend_name(app.config)
    if name == "rq":
        queue = app.config["JOB_RQ_QUEUE"]
        click.echo(f"Worker RQ sur la file « {queue} ».")
        with app.app_context():
            backends.rq_worker(app).work(burst=burst)
        return
    click.echo("Worker sur la table des tâches (sans Redis).")
    ran = backends.work(app, burst=burst)
    click.echo(f"{ran} tâche(s) exécutée(s).")
