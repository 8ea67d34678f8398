"""One reader for the spreadsheets people send: CSV (any usual encoding and separator)
and XLSX, recognised by their content, never by their extension.

The reader finds the header row (it may sit under a title), maps each header to a
canonical column through tolerant aliases (case, accents, spaces, punctuation ignored),
skips blank lines, ignores unknown and trailing columns, and hands over rows that carry
their real line number, as the spreadsheet or a text editor shows it.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from importers.errors import ImportRefused, RowError
from importers.values import Cell, ValueProblem, cell_text, fold, is_blank
from importers.xlsx_cells import FormulaWithoutValue, sheet_rows

FileKind = Literal["csv", "xlsx"]
T = TypeVar("T")

#: How many non-blank rows may precede the header (titles, notes).
HEADER_SEARCH_ROWS = 20
#: Bytes read to recognise the kind of a file.
SNIFF_BYTES = 4096
#: Separators recognised in CSV files, in order of preference on a tie.
DELIMITERS = (";", ",", "\t")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Column:
    """A canonical column and the headers people write for it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def header_keys(self) -> set[str]:
        """Header keys that designate this column."""
        return {header_key(text) for text in (self.name, *self.aliases)}


@dataclass(frozen=True)
class Row:
    """One data row: its line number in the file and its cells by canonical column."""

    line: int
    cells: dict[str, Cell]


@dataclass
class Table:
    """A spreadsheet opened for reading; ``rows`` streams the data rows once."""

    file: str
    kind: FileKind
    header_line: int
    #: canonical column name → header as written in the file
    headers: dict[str, str]
    #: headers found in the file that match no known column (ignored)
    ignored_headers: list[str]
    rows: Iterator[Row]
    #: number of lines after the header (an upper bound on data rows, for progress bars)
    size_hint: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


class RowReader:
    """Reads the cells of one row with value parsers, collecting every located error."""

    def __init__(self, table: Table, row: Row) -> None:
        self.table = table
        self.row = row
        self.errors: list[RowError] = []

    def header(self, column: str) -> str:
        """The column's header as the file writes it."""
        return self.table.headers.get(column, column)

    def text(self, column: str) -> str:
        return cell_text(self.row.cells.get(column))

    def read(self, column: str, parser: Callable[[Cell], T]) -> T | None:
        """``parser`` applied to the cell; None (and an error recorded) if it refuses."""
        value = self.row.cells.get(column)
        try:
            return parser(value)
        except ValueProblem as problem:
            self.error(column, problem.expected, cell_text(value), hint=problem.hint)
            return None

    def error(
        self,
        column: str | None,
        expected: str,
        found: str | None = None,
        *,
        hint: str | None = None,
        warning: bool = False,
    ) -> None:
        self.errors.append(
            RowError(
                self.table.file,
                self.row.line,
                self.header(column) if column else None,
                expected,
                found,
                "warning" if warning else "error",
                hint,
            )
        )


def header_key(text: str) -> str:
    """``N° FINESS`` and ``n_finess`` give the same key: folded, every separator removed."""
    return fold(text).replace(" ", "")


def sniff_kind(head: bytes, file: str) -> FileKind:
    """The kind of a file from its first bytes: a zip holding a workbook is XLSX, text is
    CSV; other binaries (XLS 97-2003, ODS, PDF…) are refused."""
    if head.startswith(_OLE_MAGIC):
        raise ImportRefused(
            f"{file} : format Excel 97-2003 (.xls) non pris en charge ; "
            "enregistrez le classeur au format .xlsx ou CSV."
        )
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if b"\x00" in head and not head.startswith(_UTF16_BOMS):
        raise ImportRefused(f"{file} : fichier binaire non reconnu ; attendu un CSV ou un .xlsx.")
    return "csv"


def read_table(path: Path, columns: Sequence[Column]) -> Table:
    """Open ``path`` and map its header onto ``columns``.

    Raises ``ImportRefused`` (nothing read) when the file is of an unknown kind, has no
    recognisable header, or lacks a required column.
    """
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    kind = sniff_kind(head, path.name)
    if kind == "xlsx":
        return _read_xlsx(path, columns)
    return _read_csv(path, columns)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252
    (what French Excel writes), else Latin-1. Returns the text and the encoding used."""
    if data.startswith(_UTF8_BOM):
        return data[len(_UTF8_BOM) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The separator used most on the first non-blank lines (``;`` on a tie or none)."""
    sample = [line for line in lines if line.strip()][:5]
    counts = {delimiter: sum(line.count(delimiter) for line in sample) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: (counts[delimiter], -DELIMITERS.index(delimiter)))
    return best if counts[best] else ";"


def _match_header(
    cells: Sequence[Cell], columns: Sequence[Column]
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Positions of the canonical columns in a header row, headers as written, unknown
    headers. The first header matching a column wins; later duplicates are ignored."""
    lookup = {key: column.name for column in columns for key in column.header_keys()}
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        text = cell_text(cell)
        if not text:
            continue
        name = lookup.get(header_key(text))
        if name is None or name in positions:
            ignored.append(text)
            continue
        positions[name] = index
        written[name] = text
    return positions, written, ignored


def _find_header(
    rows: Iterator[tuple[int, Sequence[Cell]]], columns: Sequence[Column], file: str
) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    """Consume rows up to the header: the first row naming a required column (or, with no
    required column, two known ones)."""
    required = [column.name for column in columns if column.required]
    seen = 0
    first: Sequence[Cell] | None = None
    for line, cells in rows:
        if is_blank(cells):
            continue
        first = first if first is not None else cells
        positions, written, ignored = _match_header(cells, columns)
        if (required and any(name in positions for name in required)) or (
            not required and len(positions) >= 2
        ):
            missing = [name for name in required if name not in positions]
            if missing:
                raise ImportRefused(
                    f"{file} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}.",
                    [
                        RowError(
                            file,
                            line,
                            None,
                            f"une colonne « {name} »",
                            " | ".join(cell_text(cell) for cell in cells if cell_text(cell)),
                        )
                        for name in missing
                    ],
                )
            return line, positions, written, ignored
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    expected = ", ".join(column.name for column in columns)
    found = " | ".join(cell_text(cell) for cell in first if cell_text(cell)) if first else None
    raise ImportRefused(
        f"{file} : ligne d'en-tête introuvable ; colonnes attendues : {expected}.",
        [RowError(file, 1, None, f"une ligne d'en-tête avec les colonnes {expected}", found)],
    )


def _rows_from(
    rows: Iterator[tuple[int, Sequence[Cell]]], positions: dict[str, int]
) -> Iterator[Row]:
    for line, cells in rows:
        if is_blank(cells):
            continue
        yield Row(
            line,
            {
                name: cells[index] if index < len(cells) else None
                for name, index in positions.items()
            },
        )


def _read_csv(path: Path, columns: Sequence[Column]) -> Table:
    text, encoding = decode_text(path.read_bytes())
    lines = text.splitlines()
    delimiter = sniff_delimiter(lines[: HEADER_SEARCH_ROWS + 5])

    def numbered() -> Iterator[tuple[int, Sequence[Cell]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        previous = 0
        for record in reader:
            yield previous + 1, record
            previous = reader.line_num

    rows = numbered()
    header_line, positions, written, ignored = _find_header(rows, columns, path.name)
    return Table(
        file=path.name,
        kind="csv",
        header_line=header_line,
        headers=written,
        ignored_headers=ignored,
        rows=_rows_from(rows, positions),
        size_hint=max(len(lines) - header_line, 0),
        encoding=encoding,
        delimiter=delimiter,
    )


def _worksheet_rows(
    workbook: Any, sheet: Any, file: str = ""
) -> Iterator[tuple[int, Sequence[Cell]]]:
    """Rows of a read-only worksheet: streamed by ``importers.xlsx_cells`` from the sheet's
    XML (fast), or by openpyxl when the workbook does not expose its parts. Formula cells
    give their cached value; one without a value refuses the file, naming the cell."""
    archive = getattr(workbook, "_archive", None)
    part = getattr(sheet, "_worksheet_path", None)
    shared = getattr(sheet, "_shared_strings", None)
    if archive is None or part is None or shared is None:
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        return
    date_styles = set(getattr(workbook, "_date_formats", set()))
    with archive.open(part) as stream:
        try:
            yield from sheet_rows(stream, shared, date_styles)
        except FormulaWithoutValue as formula:
            raise ImportRefused(
                f"{file} : la cellule {formula.reference} de la feuille « {sheet.title} » "
                "contient une formule sans valeur calculée. Ouvrez le classeur dans Excel ou "
                "LibreOffice, enregistrez-le, puis déposez-le de nouveau (ou remplacez la "
                "formule par sa valeur)."
            ) from formula


def _read_xlsx(path: Path, columns: Sequence[Column]) -> Table:
    import openpyxl  # imported here: the command line and the site start without it

    try:
        with warnings.catch_warnings():
            # Workbooks saved by Excel or LibreOffice carry extensions openpyxl warns about.
            warnings.simplefilter("ignore", UserWarning)
            # From memory: openpyxl would refuse a path whose extension is not .xlsx.
            workbook = openpyxl.load_workbook(
                io.BytesIO(path.read_bytes()), read_only=True, data_only=True
            )
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportRefused(
            f"{path.name} : archive zip qui n'est pas un classeur .xlsx lisible ({exc})."
        ) from exc
    refusal: ImportRefused | None = None
    for sheet in workbook.worksheets:
        rows = _worksheet_rows(workbook, sheet, path.name)
        try:
            header_line, positions, written, ignored = _find_header(rows, columns, path.name)
        except ImportRefused as exc:
            refusal = refusal or exc
            continue
        size = max((sheet.max_row or 0) - header_line, 0)

        def data_rows(
            rows: Iterator[tuple[int, Sequence[Cell]]] = rows,
            positions: dict[str, int] = positions,
        ) -> Iterator[Row]:
            try:
                yield from _rows_from(rows, positions)
            finally:
                workbook.close()

        return Table(
            file=path.name,
            kind="xlsx",
            header_line=header_line,
            headers=written,
            ignored_headers=ignored,
            rows=data_rows(),
            size_hint=size,
            sheet=sheet.title,
        )
    workbook.close()
    assert refusal is not None or not workbook.worksheets
    raise refusal or ImportRefused(f"{path.name} : classeur sans feuille.")
