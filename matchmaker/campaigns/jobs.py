"""The campaign console's background jobs: preview and import of uploaded files, solver
runs. Each loads its rows by id from ``ctx.params`` and reports progress in French."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from importers.errors import ImportRefused, RowError
from importers.reports import ImportSummary
from matchmaker.audit.services import record
from matchmaker.campaigns import preview_checks, uploads
from matchmaker.campaigns import runs as campaign_runs
from matchmaker.campaigns.services import campaign_departments
from matchmaker.campaigns.uploads import upload_path
from matchmaker.grappes import runs
from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.embarkation import import_embarked
from matchmaker.imports.finess import import_finess
from matchmaker.jobs import JobCancelled, JobContext, JobError, job
from matchmaker.models import Campaign, SolverRun, Upload
from matchmaker.models.base import utcnow
from matchmaker.ops import logs
from matchmaker.vocabulary import UploadKind, UploadStatus

#: Share of the progress bar given to reading a file (the rest: checking and writing).
READ_SHARE = 0.8


def _abandon_upload(session: Session, params: Mapping[str, Any], status: str, reason: str) -> None:
    """An upload whose job ended without finishing (cancelled, interrupted, failed) says
    so."""
    upload = session.get(Upload, int(params["upload_id"]))
    if upload is not None:
        uploads.end_upload(upload, status, reason)


def _abandon_run(session: Session, params: Mapping[str, Any], status: str, reason: str) -> None:
    """A run whose job ended without finishing (cancelled, interrupted, failed) ends with
    the job."""
    run = session.get(SolverRun, int(params["run_id"]))
    if run is not None:
        campaign_runs.end_run(run, status, reason)


@job("campaign.preview_upload", on_abandon=_abandon_upload)
def preview_upload(ctx: JobContext) -> dict[str, Any]:
    """Dry run of an uploaded file: every count, error and warning; nothing is written."""
    upload, campaign = _load(ctx)
    with _upload_failure(ctx, upload.id, UploadStatus.REFUSED):
        ctx.progress(0.0, f"Vérification de « {upload.original_name} »…")
        preview = _run_import(ctx, upload, campaign, dry_run=True)
    # A dry run must leave nothing behind, whatever an importer flushed.
    ctx.session.rollback()
    reloaded = ctx.session.get(Upload, upload.id)
    assert reloaded is not None
    reloaded.preview = preview
    reloaded.status = UploadStatus.PREVIEWED
    return {"upload_id": reloaded.id, "counts": preview["counts"]}


@job("campaign.load_upload", on_abandon=_abandon_upload)
def load_upload(ctx: JobContext) -> dict[str, Any]:
    """Import a previewed file for real, in one transaction."""
    upload, campaign = _load(ctx)
    with _upload_failure(ctx, upload.id, UploadStatus.FAILED):
        ctx.progress(0.0, f"Import de « {upload.original_name} »…")
        outcome = _run_import(ctx, upload, campaign, dry_run=False)
        upload.outcome = outcome
        upload.status = UploadStatus.LOADED
        upload.loaded_at = utcnow()
        actor = ctx.user
        record(
            ctx.session,
            actor,
            "upload.loaded",
            object_type="upload",
            object_id=upload.id,
            campaign_id=campaign.id,
            kind=upload.kind,
            file=upload.original_name,
            counts=dict(outcome["counts"]),
        )
        ctx.progress(0.99, "Enregistrement…")
    return {"upload_id": upload.id, "counts": outcome["counts"]}


@job("campaign.solve", on_abandon=_abandon_run)
def solve(ctx: JobContext) -> dict[str, Any]:
    """Run the solver for a queued run (``matchmaker.grappes.runs.execute_run``)."""
    run = ctx.session.get(SolverRun, int(ctx.params["run_id"]))
    if run is None:
        raise JobError(f"Calcul n° {ctx.params['run_id']} introuvable.")
    try:
        runs.execute_run(ctx.session, run, progress=ctx.progress)
    except JobCancelled:
        # Nothing of the interrupted solve is kept; the runner ends the run « annulé ».
        ctx.session.rollback()
        raise
    return {
        "run_id": run.id,
        "grappes": len(run.grappes),
        "candidates": run.candidate_count,
        "covered": run.covered_count,
    }


# --- helpers --------------------------------------------------------------------------------


def _load(ctx: JobContext) -> tuple[Upload, Campaign]:
    """The upload and its campaign; the reading transaction is closed (expire_on_commit is
    off) so that the progress of the file's parsing is written (SQLite)."""
    upload = ctx.session.get(Upload, int(ctx.params["upload_id"]))
    if upload is None:
        raise JobError(f"Fichier n° {ctx.params['upload_id']} introuvable.")
    campaign = ctx.session.get(Campaign, upload.campaign_id)
    assert campaign is not None
    ctx.session.commit()
    return upload, campaign


@contextmanager
def _upload_failure(ctx: JobContext, upload_id: int, status: UploadStatus) -> Iterator[None]:
    """On a refused file or any failure: roll the work back, record the cause on the
    upload (committed), and let the job fail with it."""
    try:
        yield
    except JobCancelled:
        ctx.session.rollback()
        _mark(ctx, upload_id, UploadStatus.DISCARDED, {"refused": "Annulé à la demande."})
        raise
    except ImportRefused as refused:
        ctx.session.rollback()
        upload = ctx.session.get(Upload, upload_id)
        assert upload is not None
        preview = {
            "refused": refused.message,
            "counts": [],
            **_errors_preview(ctx, refused.errors, upload.original_name),
        }
        _mark(ctx, upload_id, status, preview)
        raise JobError(refused.message) from refused
    except Exception as error:
        ctx.session.rollback()
        # Never the exception's text: it may quote SQL and the file's e-mail addresses.
        _mark(ctx, upload_id, status, {"refused": logs.public_error(error, "upload"), "counts": []})
        raise


def _mark(ctx: JobContext, upload_id: int, status: UploadStatus, preview: dict[str, Any]) -> None:
    upload = ctx.session.get(Upload, upload_id)
    assert upload is not None
    upload.status = status
    if status == UploadStatus.FAILED:
        upload.outcome = preview
    else:
        upload.preview = preview
    ctx.session.commit()


def _run_import(
    ctx: JobContext, upload: Upload, campaign: Campaign, *, dry_run: bool
) -> dict[str, Any]:
    path = upload_path(ctx.config, upload)
    if not path.is_file():
        raise JobError("Le fichier déposé n'est plus disponible : déposez-le à nouveau.")
    if upload.kind == UploadKind.DECLARATIONS:
        summary = import_declarations(
            ctx.session, path, campaign, dry_run=dry_run, progress=_rows_progress(ctx)
        )
        scope_counts: dict[str, int] = {}
        if dry_run:
            warnings, scope_counts = preview_checks.scope_warnings(ctx.session, path, campaign)
            summary.errors.extend(warnings)
        preview = _summary_preview(ctx, summary, upload.original_name)
        preview["counts"] += list(scope_counts.items())
        return preview
    if upload.kind == UploadKind.EMBARKATION:
        # A collectif's file touches its own campaign only: ESSMS of its departments.
        summary = import_embarked(
            ctx.session,
            path,
            dry_run=dry_run,
            departments=frozenset(campaign_departments(campaign)),
        )
        return _summary_preview(ctx, summary, upload.original_name)
    outcome = import_finess(
        ctx.session, path, dry_run=dry_run, progress=_bytes_progress(ctx, path.stat().st_size)
    )
    extract = outcome.extract
    counts: list[tuple[str, int]] = [
        ("Établissements lus", len(extract.records)),
        ("Organismes gestionnaires", len(extract.organisations)),
        ("Lignes rejetées", len(extract.rejected)),
        ("Avertissements", len(extract.warnings)),
    ]
    loaded = outcome.finess_import
    if loaded is not None:
        counts += [
            ("Créés", loaded.created_count),
            ("Mis à jour", loaded.updated_count),
            ("Inchangés", loaded.unchanged_count),
            ("Fermés", loaded.closed_count),
        ]
    return {
        "counts": counts,
        "refused": None,
        **_errors_preview(ctx, extract.errors, upload.original_name),
    }


def _summary_preview(ctx: JobContext, summary: ImportSummary, name: str) -> dict[str, Any]:
    verb = "à créer" if summary.dry_run else "créées"
    counts: list[tuple[str, int]] = [
        (f"Lignes {verb}", summary.created),
        ("Lignes modifiées" if not summary.dry_run else "Lignes à modifier", summary.changed),
        ("Lignes inchangées", summary.unchanged),
        ("Lignes rejetées", summary.rejected),
        ("Erreurs", len(summary.blocking)),
        ("Avertissements", len(summary.warnings)),
    ]
    counts += [(_EXTRA_LABELS.get(key, key), value) for key, value in summary.extra.items()]
    preview = {"counts": counts, "refused": None, "ignored_headers": list(summary.ignored_headers)}
    preview.update(_errors_preview(ctx, summary.errors, name))
    return preview


_EXTRA_LABELS = {
    "editeurs_reconnus": "Éditeurs reconnus",
    "editeurs_a_verifier": "Éditeurs à vérifier",
    "editeurs_inconnus": "Éditeurs inconnus",
    "editeurs_en_attente_ajoutes": "Éditeurs ajoutés à la file de vérification",
}


def _errors_preview(ctx: JobContext, errors: list[RowError], name: str) -> dict[str, Any]:
    """Errors and warnings as CSV-ready rows (the stored file's name replaced by the
    user's), capped at ``UPLOAD_PREVIEW_MAX_ERRORS``."""
    cap = int(ctx.config["UPLOAD_PREVIEW_MAX_ERRORS"])
    ordered = sorted(errors, key=lambda error: (error.line, error.column or ""))
    rows = [{**error.as_row(), "fichier": name} for error in ordered[:cap]]
    return {
        "errors": rows,
        "error_count": sum(1 for error in errors if error.severity == "error"),
        "warning_count": sum(1 for error in errors if error.severity == "warning"),
        "truncated": len(errors) > cap,
    }


def _rows_progress(ctx: JobContext) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        share = done / total if total else 0.0
        ctx.progress(READ_SHARE * share, f"Lecture : ligne {done} sur {total}")

    return report


def _bytes_progress(ctx: JobContext, total: int) -> Callable[[int], None]:
    read = 0

    def report(chunk: int) -> None:
        nonlocal read
        read += chunk
        share = min(1.0, read / total) if total else 0.0
        ctx.progress(READ_SHARE * share, f"Lecture : {read // 1024} Ko sur {total // 1024} Ko")

    return report
