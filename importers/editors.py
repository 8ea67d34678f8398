"""The editor referential file: ``editeur, solution, reference_segur`` (and ``alias``).

One row per solution (an editor without solution is allowed: solution blank). ``alias``
holds other spellings of the editor, separated by ``|``. Parsed and validated here (pure);
``matchmaker.imports.editors`` loads the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importers.editor_names import normalise_name
from importers.errors import RowError
from importers.spreadsheets import Column, RowReader, read_table
from importers.values import optional_text, parse_yes_no

COLUMNS = (
    Column("editeur", ("éditeur", "editeur dui", "nom de l'éditeur", "nom editeur"), required=True),
    Column("solution", ("logiciel", "produit", "solution dui", "nom du logiciel")),
    Column(
        "reference_segur",
        ("référencé ségur", "reference", "référencement ségur", "segur", "ségur"),
    ),
    Column("alias", ("aliases", "autres noms", "synonymes", "variantes")),
)


@dataclass(frozen=True)
class EditorRow:
    line: int
    editor: str
    solution: str | None
    reference_segur: bool
    aliases: tuple[str, ...]


def parse(path: Path) -> tuple[list[EditorRow], list[RowError], list[str]]:
    """Rows of the file, their errors, and the ignored headers."""
    table = read_table(path, COLUMNS)
    rows: list[EditorRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        reader = RowReader(table, row)
        editor = reader.read("editeur", lambda value: optional_text(value, 120))
        solution = reader.read("solution", lambda value: optional_text(value, 120))
        flag = reader.read("reference_segur", parse_yes_no)
        aliases = tuple(part.strip() for part in reader.text("alias").split("|") if part.strip())
        if not editor:
            reader.error("editeur", "le nom de l'éditeur", "")
        else:
            key = (normalise_name(editor), normalise_name(solution or ""))
            if key in seen:
                reader.error(
                    "solution",
                    "une seule ligne par éditeur et solution",
                    solution or "",
                    hint=f"déjà présente ligne {seen[key]}",
                )
            else:
                seen[key] = row.line
        errors.extend(reader.errors)
        if editor and not reader.errors:
            rows.append(EditorRow(row.line, editor, solution, bool(flag), aliases))
    return rows, errors, table.ignored_headers
