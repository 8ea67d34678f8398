"""What an import did, and the CSV report of the rejected lines written beside the input."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from importers.errors import RowError

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
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS, delimiter=";")
        writer.writeheader()
        for error in sorted(errors, key=lambda error: (error.line, error.column or "")):
            writer.writerow(error.as_row())
    return path
