"""Located import errors: file, line, column, what was expected, what was found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class RowError:
    """One problem of an input file, located for the person who will fix it.

    ``line`` is 1-based as a spreadsheet or editor shows it (0 for the whole file);
    ``column`` is the column's name or index as the file gives it. Messages are French.
    """

    file: str
    line: int
    column: str | None
    expected: str
    found: str | None = None
    severity: Severity = "error"
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        if self.column:
            where += f", colonne « {self.column} »"
        found = f" ; trouvé : « {self.found} »" if self.found is not None else ""
        hint = f" ({self.hint})" if self.hint else ""
        kind = "avertissement" if self.severity == "warning" else "erreur"
        return f"{where} : {kind} : attendu {self.expected}{found}{hint}"

    def as_row(self) -> dict[str, str]:
        """The error as a row of a CSV report (French headers)."""
        return {
            "fichier": self.file,
            "ligne": str(self.line),
            "colonne": self.column or "",
            "gravite": "avertissement" if self.severity == "warning" else "erreur",
            "attendu": self.expected,
            "trouve": self.found or "",
            "indication": self.hint or "",
        }


class ImportRefused(Exception):
    """The whole file is refused (not the expected kind, or ``--strict`` with errors).

    Nothing was written. ``errors`` lists every problem found.
    """

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
