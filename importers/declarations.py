"""Declarations files: one row per ESSMS, as a campaign's questionnaire brings them back.

parse → validate → load, as every importer:

- **parse** reads any spreadsheet (``importers.spreadsheets``) into ``DeclarationRow``s,
  tolerant of header spellings and value spellings, recording every unreadable cell;
- **validate** checks the rows against FINESS (``EstablishmentIndex``, plain data) and
  against each other: unknown FINESS ET (with the closest numbers), FINESS EJ given for an
  ET, department contradicting FINESS (warning), SONS status without editor, DUI status
  without editor, duplicates within the file;
- **load** writes the accepted rows in one transaction, in bulk: a row identical to the
  current declaration of the ESSMS is left alone (re-import is a no-op); a different one
  supersedes it, which stays in history.

``import_declarations`` chains them; ``dry_run`` stops before any write, ``strict``
refuses the whole file on any error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import TableClause, insert, select, update
from sqlalchemy.orm import Session

from importers.declaration_columns import (
    COLUMNS,
    parse_champ,
    parse_dui_status,
    parse_sons_status,
)
from importers.errors import RowError, Severity
from importers.finess_lookup import EstablishmentIndex
from importers.reports import ImportSummary, triage, write_report
from importers.spreadsheets import RowReader, Table, read_table
from importers.values import (
    optional_text,
    parse_department,
    parse_email,
    parse_finess,
    parse_yes_no,
)
from importers.vocabulary import SONS_ORDERED
from matchmaker.declarations.services import COMPARED_FIELDS, lock_campaign_imports
from matchmaker.editors.normalise import Thresholds
from matchmaker.editors.services import Resolution, record_pending, resolve_editors
from matchmaker.models import Campaign, Declaration
from matchmaker.models.base import utcnow

#: DUI statuses that say there is a DUI, so an editor.
DUI_PRESENT = ("non_reference", "reference_segur")
MAX_TEXT = 200
MAX_COMMENT = 2000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DeclarationRow:
    """One row as declared (typed, not yet checked against FINESS)."""

    line: int
    finess_et: str
    editor_raw: str | None = None
    champ: str | None = None
    department: str | None = None
    dui_status: str | None = None
    sons_status: str | None = None
    sons_editor_raw: str | None = None
    willing_carrier: bool | None = None
    already_funded: bool | None = None
    contact_email: str | None = None
    comment: str | None = None


# --- parse --------------------------------------------------------------------------------


def parse(
    table: Table, progress: Progress | None = None
) -> tuple[list[DeclarationRow], list[RowError]]:
    """Read every row; a row with an unreadable FINESS number is dropped, other unreadable
    cells are errors (the row is kept so that later checks still report on it)."""
    rows: list[DeclarationRow] = []
    errors: list[RowError] = []
    for count, row in enumerate(table.rows, start=1):
        reader = RowReader(table, row)
        finess = reader.read("finess_et", parse_finess)
        declared = DeclarationRow(
            line=row.line,
            finess_et=finess or "",
            editor_raw=reader.read("editeur", lambda value: optional_text(value, MAX_TEXT)),
            champ=reader.read("champ", parse_champ),
            department=reader.read("departement", parse_department),
            dui_status=reader.read("statut_dui", parse_dui_status),
            sons_status=reader.read("statut_sons", parse_sons_status),
            sons_editor_raw=reader.read(
                "editeur_sons", lambda value: optional_text(value, MAX_TEXT)
            ),
            willing_carrier=reader.read("porteur_volontaire", parse_yes_no),
            already_funded=reader.read("deja_finance_esms_numerique", parse_yes_no),
            contact_email=reader.read("email_contact", parse_email),
            comment=reader.read("commentaire", lambda value: optional_text(value, MAX_COMMENT)),
        )
        errors.extend(reader.errors)
        if finess:
            rows.append(declared)
        if progress and count % 1000 == 0:
            progress(count, table.size_hint)
    return rows, errors


# --- validate -----------------------------------------------------------------------------


def validate(
    rows: Iterable[DeclarationRow],
    index: EstablishmentIndex,
    *,
    file: str,
    headers: dict[str, str] | None = None,
) -> list[RowError]:
    """Every problem of the rows against FINESS and against each other (pure)."""
    headers = headers or {}
    errors: list[RowError] = []
    first_line: dict[str, int] = {}

    def error(
        row: DeclarationRow,
        column: str,
        expected: str,
        found: str | None,
        *,
        severity: Severity = "error",
        hint: str | None = None,
    ) -> None:
        header = headers.get(column, column)
        errors.append(RowError(file, row.line, header, expected, found, severity, hint))

    for row in rows:
        ref = index.establishments.get(row.finess_et)
        if ref is None:
            expected, hint = index.explain_unknown(row.finess_et)
            error(row, "finess_et", expected, row.finess_et, hint=hint)
        else:
            if row.department and row.department != ref.department:
                error(
                    row,
                    "departement",
                    f"le département de l'ESSMS dans FINESS ({ref.department})",
                    row.department,
                    severity="warning",
                    hint="le département de FINESS est retenu",
                )
            if not ref.is_essms:
                error(
                    row,
                    "finess_et",
                    "un ESSMS (établissement social ou médico-social)",
                    row.finess_et,
                    severity="warning",
                    hint=f"{index.describe(row.finess_et)} n'est pas un ESSMS dans FINESS",
                )
            if not ref.is_open:
                error(
                    row,
                    "finess_et",
                    "un établissement ouvert",
                    row.finess_et,
                    severity="warning",
                    hint=f"{index.describe(row.finess_et)} est fermé dans FINESS",
                )
        if row.sons_status in SONS_ORDERED and not (row.sons_editor_raw or row.editor_raw):
            error(
                row,
                "editeur_sons",
                f"l'éditeur de la commande SONS (statut SONS « {row.sons_status} »)",
                "",
            )
        if row.dui_status in DUI_PRESENT and not row.editor_raw:
            error(row, "editeur", f"l'éditeur du DUI (statut DUI « {row.dui_status} »)", "")
        if row.finess_et in first_line:
            error(
                row,
                "finess_et",
                "une seule ligne par ESSMS",
                row.finess_et,
                hint=f"déjà déclaré ligne {first_line[row.finess_et]} (ligne conservée)",
            )
        else:
            first_line[row.finess_et] = row.line
    return errors


# --- load ---------------------------------------------------------------------------------


#: Fields compared to decide whether a row changes the current declaration (the same as
#: the site's, ``matchmaker.declarations.services.declare``).
COMPARED = COMPARED_FIELDS


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
        columns = [getattr(Declaration, name) for name in COMPARED]
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
        if previous is not None and previous[1] == tuple(values[name] for name in COMPARED):
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
    index = index or EstablishmentIndex.from_session(session)
    errors.extend(validate(rows, index, file=table.file, headers=table.headers))
    accepted, summary = triage(
        rows,
        errors,
        path=path,
        file=table.file,
        ignored_headers=table.ignored_headers,
        dry_run=dry_run,
        strict=strict,
    )
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
    return summary
