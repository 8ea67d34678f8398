"""Declarations files: one row per ESSMS, as a campaign's questionnaire brings them back.

parse → validate here (pure: no database), then load in ``matchmaker.imports.declarations``:

- **parse** reads any spreadsheet (``importers.spreadsheets``) into ``DeclarationRow``s,
  tolerant of header spellings and value spellings, recording every unreadable cell;
- **validate** checks the rows against FINESS (``EstablishmentIndex``, plain data) and
  against each other: unknown FINESS ET (with the closest numbers), FINESS EJ given for an
  ET, department contradicting FINESS (warning), SONS status without editor, DUI status
  without editor, duplicates within the file;
- **load** (``matchmaker.imports.declarations``) writes the accepted rows in one
  transaction, in bulk; ``import_declarations`` there chains the three stages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from importers.declaration_columns import (
    parse_champ,
    parse_dui_status,
    parse_sons_status,
)
from importers.errors import RowError, Severity
from importers.finess_lookup import EstablishmentIndex
from importers.spreadsheets import RowReader, Table
from importers.values import (
    optional_text,
    parse_department,
    parse_email,
    parse_finess,
    parse_yes_no,
)
from importers.vocabulary import SONS_ORDERED

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
