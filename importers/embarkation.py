"""Embarkation lists kept by ARS: ``finess_et, dispositif, editeur, annee, projet``.

One row per ESSMS and scheme (``esms_numerique`` or ``sons``). Same tolerance and error
reporting as declarations. Load upserts by (FINESS ET, scheme): an identical row is left
alone, a different one updates the stored row, so re-importing a list is a no-op.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from importers.errors import RowError
from importers.finess_lookup import EstablishmentIndex
from importers.reports import ImportSummary, triage, write_report
from importers.spreadsheets import Column, RowReader, Table, read_table
from importers.values import choice_parser, optional_text, parse_finess, parse_year
from matchmaker.editors.normalise import Thresholds
from matchmaker.editors.services import Resolution, record_pending, resolve_editors
from matchmaker.models import Embarkation
from matchmaker.models.base import utcnow
from matchmaker.models.embarkation import SCHEMES

COLUMNS = (
    Column(
        "finess_et",
        (
            "finess",
            "n° finess",
            "n° finess et",
            "numéro finess",
            "finess géographique",
            "finess établissement",
            "code finess",
        ),
        required=True,
    ),
    Column(
        "dispositif", ("programme", "financement", "type", "type de financement"), required=True
    ),
    Column("editeur", ("éditeur", "éditeur dui", "logiciel", "solution", "éditeur retenu")),
    Column("annee", ("année", "année de financement", "millésime", "annee aap")),
    Column("projet", ("nom du projet", "projet esms numérique", "grappe", "référence projet")),
)

SCHEME_ALIASES = {
    "esms_numerique": (
        "esms numérique",
        "esms num",
        "programme esms numérique",
        "esms",
        "aap esms numérique",
    ),
    "sons": ("ségur sons", "sons ségur", "sons vague 1", "sons vague 2", "prestation ségur"),
}
parse_scheme = choice_parser(SCHEMES, SCHEME_ALIASES)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbarkationRow:
    line: int
    finess_et: str
    scheme: str
    editor_raw: str | None
    year: int | None
    project: str | None


def parse(table: Table) -> tuple[list[EmbarkationRow], list[RowError], set[int]]:
    """Typed rows, the unreadable cells, and the lines with an error."""
    rows: list[EmbarkationRow] = []
    errors: list[RowError] = []
    bad: set[int] = set()
    for row in table.rows:
        reader = RowReader(table, row)
        finess = reader.read("finess_et", parse_finess)
        scheme = reader.read("dispositif", parse_scheme)
        if not reader.text("dispositif"):
            reader.error("dispositif", parse_scheme.expected, "")
        editor = reader.read("editeur", lambda value: optional_text(value, 200))
        year = reader.read("annee", parse_year)
        project = reader.read("projet", lambda value: optional_text(value, 200))
        errors.extend(reader.errors)
        if reader.errors:
            bad.add(row.line)
        if finess and scheme:
            rows.append(EmbarkationRow(row.line, finess, scheme, editor, year, project))
    return rows, errors, bad


def validate(
    rows: list[EmbarkationRow],
    index: EstablishmentIndex,
    *,
    file: str,
    headers: dict[str, str],
    departments: frozenset[str] | None = None,
) -> list[RowError]:
    """Unknown FINESS ET (with hints), SONS without editor, duplicates, and, when
    ``departments`` is given (a campaign's upload), ESSMS outside them (pure)."""
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.finess_et not in index.establishments:
            expected, hint = index.explain_unknown(row.finess_et)
            errors.append(
                RowError(file, row.line, headers["finess_et"], expected, row.finess_et, hint=hint)
            )
        elif departments is not None and (
            index.establishments[row.finess_et].department not in departments
        ):
            errors.append(
                RowError(
                    file,
                    row.line,
                    headers["finess_et"],
                    f"un ESSMS des départements de la campagne ({', '.join(sorted(departments))})",
                    row.finess_et,
                    hint=f"ESSMS du département {index.establishments[row.finess_et].department}",
                )
            )
        if row.scheme == "sons" and not row.editor_raw:
            errors.append(
                RowError(
                    file,
                    row.line,
                    headers.get("editeur", "editeur"),
                    "l'éditeur de la commande SONS",
                    "",
                )
            )
        key = (row.finess_et, row.scheme)
        if key in seen:
            errors.append(
                RowError(
                    file,
                    row.line,
                    headers["finess_et"],
                    "une seule ligne par ESSMS et dispositif",
                    row.finess_et,
                    hint=f"déjà présent ligne {seen[key]} (ligne conservée)",
                )
            )
        else:
            seen[key] = row.line
    return errors


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
    ``importers.declarations.import_declarations``. ``departments``: a campaign's upload
    may only mark ESSMS of the campaign's departments (other lines are errors)."""
    path = Path(path)
    table = read_table(path, COLUMNS)
    rows, errors, bad = parse(table)
    index = index or EstablishmentIndex.from_session(session)
    errors.extend(
        validate(rows, index, file=table.file, headers=table.headers, departments=departments)
    )
    accepted, summary = triage(
        rows,
        errors,
        path=path,
        file=table.file,
        ignored_headers=table.ignored_headers,
        dry_run=dry_run,
        strict=strict,
        bad_lines=frozenset(bad),
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
