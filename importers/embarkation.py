"""Embarkation lists kept by ARS: ``finess_et, dispositif, editeur, annee, projet``.

One row per ESSMS and scheme (``esms_numerique`` or ``sons``). Same tolerance and error
reporting as declarations. Parse and validate here (pure); ``matchmaker.imports.embarkation``
loads the accepted rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from importers.errors import RowError
from importers.finess_lookup import EstablishmentIndex
from importers.spreadsheets import Column, RowReader, Table
from importers.values import choice_parser, optional_text, parse_finess, parse_year
from importers.vocabulary import SCHEMES

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
