"""What an import did, and the CSV report of the rejected lines written beside the input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from importers.errors import ImportRefused, RowError
from importers.formulas import SafeDictWriter
from importers.spreadsheets import Table

#: Columns of the rejection report, as ``RowError.as_row`` names them.
REPORT_COLUMNS = ("fichier", "ligne", "colonne", "gravite", "attendu", "trouve", "indication")


@dataclass
class ImportSummary:
    """Counts of an import (or of a dry run: what it would do) and every problem found.

    ``created``/``changed``/``unchanged`` count rows accepted; ``rejected`` counts rows
    refused because of at least one error. Warnings do not reject a row.
    """

    file: str
    dry_run: bool = False
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    report_path: Path | None = None
    #: free counters an importer adds (editor matches, aliases…)
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.created + self.changed + self.unchanged

    @property
    def blocking(self) -> list[RowError]:
        return [error for error in self.errors if error.severity == "error"]

    @property
    def warnings(self) -> list[RowError]:
        return [error for error in self.errors if error.severity == "warning"]


def report_path_for(source: Path) -> Path:
    """``declarations.xlsx`` → ``declarations.rejets.csv`` in the same folder."""
    return source.with_name(f"{source.stem}.rejets.csv")


def write_report(source: Path, errors: Sequence[RowError]) -> Path:
    """Write the errors and warnings as a CSV next to ``source`` (UTF-8 with BOM and ``;``,
    so that French Excel opens it as is). Returns its path."""
    path = report_path_for(source)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = SafeDictWriter(handle, fieldnames=REPORT_COLUMNS, delimiter=";")
        writer.writeheader()
        for error in sorted(errors, key=lambda error: (error.line, error.column or "")):
            writer.writerow(error.as_row())
    return path


class _Lined(Protocol):
    @property
    def line(self) -> int: ...


RowT = TypeVar("RowT", bound=_Lined)


def triage(
    rows: Sequence[RowT],
    errors: Sequence[RowError],
    table: Table,
    *,
    path: Path,
    dry_run: bool,
    strict: bool,
    bad_lines: frozenset[int] = frozenset(),
) -> tuple[list[RowT], ImportSummary]:
    """Split validated rows into the accepted and the rejected (a row with at least one
    error, or unreadable: ``bad_lines``), and start the summary. With ``strict``, any
    rejected row refuses the whole file: the report is written next to ``path`` and
    ``ImportRefused`` raised, before anything is written."""
    file = table.file
    rejected = bad_lines | {error.line for error in errors if error.severity == "error"}
    summary = ImportSummary(
        file=file,
        dry_run=dry_run,
        errors=sorted(errors, key=lambda error: (error.line, error.column or "")),
        ignored_headers=table.ignored_headers,
        rejected=len(rejected),
    )
    if strict and rejected:
        summary.report_path = write_report(path, summary.errors)
        raise ImportRefused(
            f"{file} : {len(summary.blocking)} erreur(s) sur {len(rejected)} ligne(s) ; "
            "fichier refusé (mode strict), rien n'a été importé.",
            summary.errors,
        )
    return [row for row in rows if row.line not in rejected], summary
