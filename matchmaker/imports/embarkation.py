"""Embarkation lists into the database: the load stage, and the whole import.

The rows come parsed and validated by ``importers.embarkation`` (pure). Load upserts by
(FINESS ET, scheme): an identical row is left alone, a different one updates the stored row,
so re-importing a list is a no-op.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from importers.editor_names import Thresholds
from importers.embarkation import COLUMNS, EmbarkationRow, parse, validate
from importers.finess_lookup import EstablishmentIndex
from importers.reports import ImportSummary, triage, write_report
from importers.spreadsheets import read_table
from matchmaker.editors.services import Resolution, record_pending, resolve_editors
from matchmaker.imports.finess_lookup import establishment_index
from matchmaker.models import Embarkation
from matchmaker.models.base import utcnow


def load(
    session: Session,
    rows: list[EmbarkationRow],
    resolutions: dict[str, Resolution],
    *,
    source_file: str,
    dry_run: bool = False,
) -> tuple[int, int, int]:
    """Upsert by (FINESS ET, scheme), in bulk; returns created, changed, unchanged."""
    existing = {
        (finess, str(scheme)): (id_, (raw, editor_id, year, project))
        for id_, finess, scheme, raw, editor_id, year, project in session.execute(
            select(
                Embarkation.id,
                Embarkation.finess_et,
                Embarkation.scheme,
                Embarkation.editor_raw,
                Embarkation.editor_id,
                Embarkation.year,
                Embarkation.project,
            )
        )
    }
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    unchanged = 0
    now = utcnow()
    for row in rows:
        editor_id = resolutions[row.editor_raw].editor_id if row.editor_raw in resolutions else None
        values = (row.editor_raw, editor_id, row.year, row.project)
        fields = {
            "editor_raw": row.editor_raw,
            "editor_id": editor_id,
            "year": row.year,
            "project": row.project,
            "source_file": source_file,
            "source_line": row.line,
            "imported_at": now,
        }
        previous = existing.get((row.finess_et, row.scheme))
        if previous is None:
            inserts.append({"finess_et": row.finess_et, "scheme": row.scheme, **fields})
        elif previous[1] == values:
            unchanged += 1
        else:
            updates.append({"id": previous[0], **fields})
    if not dry_run:
        if inserts:
            session.execute(insert(Embarkation).execution_options(render_nulls=True), inserts)
        if updates:
            session.execute(update(Embarkation), updates)
        session.flush()
    return len(inserts), len(updates), unchanged


def import_embarked(
    session: Session,
    path: Path,
    *,
    dry_run: bool = False,
    strict: bool = False,
    thresholds: Thresholds | None = None,
    index: EstablishmentIndex | None = None,
    departments: frozenset[str] | None = None,
) -> ImportSummary:
    """Import an embarkation list (flushed, not committed). Same contract as
    ``matchmaker.imports.declarations.import_declarations``. ``departments``: a campaign's upload
    may only mark ESSMS of the campaign's departments (other lines are errors)."""
    path = Path(path)
    table = read_table(path, COLUMNS)
    rows, errors, bad = parse(table)
    index = index or establishment_index(session)
    errors.extend(
        validate(rows, index, file=table.file, headers=table.headers, departments=departments)
    )
    accepted, summary = triage(
        rows, errors, table, path=path, dry_run=dry_run, strict=strict, bad_lines=frozenset(bad)
    )
    raws = Counter(row.editor_raw for row in accepted if row.editor_raw)
    resolutions = resolve_editors(session, raws, thresholds)
    summary.created, summary.changed, summary.unchanged = load(
        session, accepted, resolutions, source_file=table.file, dry_run=dry_run
    )
    if not dry_run:
        record_pending(session, resolutions.values(), raws)
        if errors:
            summary.report_path = write_report(path, summary.errors)
    return summary
