"""A FINESS extract into the database: ``importers.finess`` parses and validates the file
(pure), ``matchmaker.imports.finess_load`` writes it; ``import_finess`` chains them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from importers.finess import LEGACY_FORMAT, read_finess
from importers.finess_lines import Progress
from importers.finess_records import Extract
from matchmaker.imports.finess_load import Forecast, forecast, load
from matchmaker.models import Establishment, FinessImport, Organisation
from matchmaker.ops import table_statistics


@dataclass
class ImportOutcome:
    """What ``import_finess`` did: the parsed extract and, unless dry run, its import row."""

    extract: Extract
    finess_import: FinessImport | None
    #: With ``dry_run``: what the import would do (created, changed, closed, unchanged).
    forecast: Forecast | None = None


def import_finess(
    session: Session,
    path: Path,
    *,
    ej_path: Path | None = None,
    strict: bool = False,
    dry_run: bool = False,
    allow_mass_close: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Parse, validate, then load a FINESS extract into the session (not committed).

    Refuses the file (``ImportRefused``, nothing written) when it is not a FINESS extract,
    or with ``strict`` when any line is rejected. ``dry_run`` stops after validation.
    ``allow_mass_close`` lifts the partial-file guard of ``matchmaker.imports.finess_load.load``.
    Legacy extracts close the establishments they lack (within their departments); the
    FINESS+ flow carries each establishment's state and closes nothing by absence.
    """
    extract = read_finess(path, ej_path=ej_path, progress=progress)
    if strict and extract.rejected:
        raise ImportRefused(
            f"{path.name} : {len(extract.rejected)} ligne(s) rejetée(s) ; avec --strict, "
            "rien n'est importé.",
            extract.rejected,
        )
    if dry_run:
        expected = forecast(
            session,
            extract,
            close_missing=extract.file_format == LEGACY_FORMAT,
            allow_mass_close=allow_mass_close,
        )
        return ImportOutcome(extract, None, expected)
    finess_import = load(
        session,
        extract,
        close_missing=extract.file_format == LEGACY_FORMAT,
        allow_mass_close=allow_mass_close,
    )
    # The pages' queries are planned from fresh statistics of what was just loaded.
    table_statistics.refresh(session, Establishment, Organisation)
    return ImportOutcome(extract, finess_import)
