"""Declarations files into the database: the load stage, and the whole import.

The rows come parsed and validated by ``importers.declarations`` (pure). Here:

- **load** writes the accepted rows in one transaction, in bulk: a row identical to the
  current declaration of the ESSMS is left alone (re-import is a no-op); a different one
  supersedes it, which stays in history;
- ``import_declarations`` chains parse, validate and load; ``dry_run`` stops before any
  write, ``strict`` refuses the whole file on any error.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import TableClause, insert, select, update
from sqlalchemy.orm import Session

from importers.declaration_columns import COLUMNS
from importers.declarations import DeclarationRow, Progress, parse, validate
from importers.editor_names import Thresholds
from importers.finess_lookup import EstablishmentIndex
from importers.reports import ImportSummary, triage, write_report
from importers.spreadsheets import read_table
from importers.vocabulary import SONS_ORDERED
from matchmaker.declarations.services import COMPARED_FIELDS, lock_campaign_imports
from matchmaker.editors.services import Resolution, record_pending, resolve_editors
from matchmaker.imports.finess_lookup import establishment_index
from matchmaker.models import Campaign, Declaration
from matchmaker.models.base import utcnow
from matchmaker.ops import table_statistics

# --- load ---------------------------------------------------------------------------------
# A row changes the current declaration when one of ``COMPARED_FIELDS`` differs: the same
# fields as the site's ``matchmaker.declarations.services.declare`` compares.


def declaration_values(
    row: DeclarationRow, index: EstablishmentIndex, resolutions: dict[str, Resolution]
) -> dict[str, object]:
    """The declared fields of a row, normalised: FINESS department, champ from FINESS when
    left blank, editors resolved, SONS editor defaulting to the DUI editor."""
    ref = index.establishments[row.finess_et]
    sons_editor_raw = row.sons_editor_raw
    if row.sons_status in SONS_ORDERED and not sons_editor_raw:
        sons_editor_raw = row.editor_raw

    def editor_id(raw: str | None) -> int | None:
        return resolutions[raw].editor_id if raw and raw in resolutions else None

    return {
        "editor_raw": row.editor_raw,
        "editor_id": editor_id(row.editor_raw),
        "champ": row.champ or ref.champ,
        "department": ref.department,
        "dui_status": row.dui_status,
        "sons_status": row.sons_status,
        "sons_editor_raw": sons_editor_raw,
        "sons_editor_id": editor_id(sons_editor_raw),
        "already_funded": row.already_funded,
        "willing_carrier": row.willing_carrier,
        "interested": None,
        "contact_email": row.contact_email,
        "comment": row.comment,
    }


@dataclass(frozen=True)
class LoadCounts:
    created: int
    changed: int
    unchanged: int
    #: raw editor names of the rows written (created or changed), with their counts
    written_editors: Counter[str]


def load(
    session: Session,
    campaign: Campaign,
    rows: list[DeclarationRow],
    index: EstablishmentIndex,
    resolutions: dict[str, Resolution],
    *,
    source_file: str,
    dry_run: bool = False,
    declared_at: datetime | None = None,
) -> LoadCounts:
    """Write the accepted rows (bulk, one transaction, flushed not committed).

    Unchanged rows are skipped; changed ones supersede the current declaration, which is
    kept with ``is_current`` false and ``superseded_by_id`` set. Nothing is written on
    ``dry_run``; the counts say what would happen.
    """
    declared_at = declared_at or utcnow()
    current: dict[str, tuple[int, tuple[object, ...]]] = {}
    if campaign.id is not None:
        columns = [getattr(Declaration, name) for name in COMPARED_FIELDS]
        for stored in session.execute(
            select(Declaration.finess_et, Declaration.id, *columns).where(
                Declaration.campaign_id == campaign.id, Declaration.is_current.is_(True)
            )
        ):
            current[stored[0]] = (stored[1], tuple(stored[2:]))
    inserts: list[dict[str, object]] = []
    superseded: dict[str, int] = {}
    created = unchanged = 0
    written_editors: Counter[str] = Counter()
    for row in rows:
        values = declaration_values(row, index, resolutions)
        previous = current.get(row.finess_et)
        if previous is not None and previous[1] == tuple(values[name] for name in COMPARED_FIELDS):
            unchanged += 1
            continue
        if previous is None:
            created += 1
        else:
            superseded[row.finess_et] = previous[0]
        written_editors.update(raw for raw in (row.editor_raw, row.sons_editor_raw) if raw)
        inserts.append(
            {
                **values,
                "campaign_id": campaign.id,
                "finess_et": row.finess_et,
                "source_kind": "file",
                "source_file": source_file,
                "source_line": row.line,
                "declared_at": declared_at,
                "is_current": True,
            }
        )
    counts = LoadCounts(created, len(superseded), unchanged, written_editors)
    if dry_run or not inserts:
        return counts
    if superseded:
        session.execute(
            update(Declaration), [{"id": old, "is_current": False} for old in superseded.values()]
        )
    # Core executemany: every row has the same keys, so the driver batches them all.
    session.execute(insert(cast(TableClause, Declaration.__table__)), inserts)
    if superseded:
        # The new rows are the current ones now; link each old row to its successor.
        new_ids = session.execute(
            select(Declaration.finess_et, Declaration.id).where(
                Declaration.campaign_id == campaign.id,
                Declaration.is_current.is_(True),
                Declaration.finess_et.in_(list(superseded)),
            )
        )
        links = [
            {"id": superseded[finess], "superseded_by_id": new_id} for finess, new_id in new_ids
        ]
        session.execute(update(Declaration), links)
    session.flush()
    return counts


# --- the whole import ---------------------------------------------------------------------


def import_declarations(
    session: Session,
    path: Path,
    campaign: Campaign,
    *,
    dry_run: bool = False,
    strict: bool = False,
    thresholds: Thresholds | None = None,
    index: EstablishmentIndex | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a declarations file into ``campaign`` (flushed, not committed: the caller
    commits once, or rolls back).

    Every row with an error is rejected and listed; warnings do not reject. ``strict``
    raises ``ImportRefused`` (nothing written, report beside the file) on any error.
    ``dry_run`` writes nothing, not even the review queue or the report. Raw editor names
    are resolved in bulk; those not matched automatically join the review queue. A real
    import holds the campaign's import lock (``lock_campaign_imports``) until the caller's
    transaction ends: a second one is refused (PostgreSQL) or waits (SQLite).
    """
    path = Path(path)
    if not dry_run:
        # First, before any read: one import at a time per campaign (else a French refusal).
        lock_campaign_imports(session, campaign.id)
    table = read_table(path, COLUMNS)
    rows, errors = parse(table, progress)
    index = index or establishment_index(session)
    errors.extend(validate(rows, index, file=table.file, headers=table.headers))
    accepted, summary = triage(rows, errors, table, path=path, dry_run=dry_run, strict=strict)
    raws = Counter(raw for row in accepted for raw in (row.editor_raw, row.sons_editor_raw) if raw)
    resolutions = resolve_editors(session, raws, thresholds)
    decisions = Counter(resolution.decision for resolution in resolutions.values())
    counts = load(
        session,
        campaign,
        accepted,
        index,
        resolutions,
        source_file=table.file,
        dry_run=dry_run,
    )
    summary.created, summary.changed, summary.unchanged = (
        counts.created,
        counts.changed,
        counts.unchanged,
    )
    summary.extra = {
        "editeurs_reconnus": decisions["auto"],
        "editeurs_a_verifier": decisions["review"],
        "editeurs_inconnus": decisions["none"],
    }
    if progress:
        progress(table.size_hint, table.size_hint)
    if not dry_run:
        # Occurrences count the rows written, so re-importing a file leaves them alone.
        summary.extra["editeurs_en_attente_ajoutes"] = record_pending(
            session,
            [resolutions[raw] for raw in counts.written_editors],
            counts.written_editors,
        )
        if errors:
            summary.report_path = write_report(path, summary.errors)
        table_statistics.refresh(session, Declaration)
    return summary
