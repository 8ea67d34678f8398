"""XLSX exports written in openpyxl's write-only mode and sent from a temporary file.

Every workbook the site exports (a run, a grappe's dossier, the ARS desk's dashboard,
non-embarked and simulations) is built here: rows are appended as they are produced and
openpyxl writes each sheet to disk at once, then the file is sent in blocks from an
anonymous temporary file, deleted once sent. Memory stays flat however many rows a
national export holds (``tests/matchmaker/test_xlsx.py``). Every cell is neutralised
(``importers.formulas``): a text starting with ``=`` is never stored as a formula.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from importers.formulas import neutralise_row

if TYPE_CHECKING:  # openpyxl and Flask are imported by the functions that use them
    from flask import Response
    from openpyxl import Workbook


def new_workbook() -> Workbook:
    """An empty write-only workbook: add its sheets with :func:`write_sheet`."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def write_sheet(
    book: Workbook,
    title: str,
    rows: Iterable[Sequence[object]],
    *,
    header: Sequence[str] | None = None,
    formats: Mapping[int, str] | None = None,
    freeze_header: bool = False,
) -> None:
    """Append a sheet ``title`` to ``book``: ``header`` in bold (frozen with
    ``freeze_header``), then ``rows`` as they come, each cell neutralised; ``formats``
    gives the number format of some columns (0-based index → format, e.g. ``"0.0%"``)."""
    sheet = add_sheet(book, title, header=header, freeze_header=freeze_header)
    append_rows(sheet, rows, formats=formats)


def add_sheet(
    book: Workbook, title: str, *, header: Sequence[str] | None = None, freeze_header: bool = False
) -> Any:
    """A new write-only sheet with its bold ``header``, for callers that fill several
    sheets in one pass over their rows (:func:`append_rows`)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = book.create_sheet(title[:31])
    if freeze_header:
        sheet.freeze_panes = "A2"  # set before the first row: write-only sheets need it so
    if header is not None:
        bold = Font(bold=True)
        cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    return sheet


def append_rows(
    sheet: Any, rows: Iterable[Sequence[object]], *, formats: Mapping[int, str] | None = None
) -> None:
    """Append ``rows`` to a write-only ``sheet`` (see :func:`write_sheet`)."""
    from openpyxl.cell import WriteOnlyCell

    for row in rows:
        values = neutralise_row(row)
        if formats:
            for index, number_format in formats.items():
                if index < len(values):
                    cell = WriteOnlyCell(sheet, value=values[index])
                    cell.number_format = number_format
                    values[index] = cell
        sheet.append(values)


def save(book: Workbook, handle: IO[bytes]) -> None:
    """Write ``book`` into the open binary file ``handle``."""
    book.save(handle)


def to_bytes(book: Workbook) -> bytes:
    """The workbook's bytes (tests, small files); the site sends with :func:`send`."""
    with tempfile.TemporaryFile() as handle:
        save(book, handle)
        handle.seek(0)
        return handle.read()


#: Bytes per block of a sent workbook.
BLOCK_SIZE = 64 * 1024


def send(book: Workbook, filename: str) -> Response:
    """A download of ``book``: saved to an anonymous temporary file, sent in blocks of
    ``BLOCK_SIZE`` and closed (so deleted) once sent; never held whole in memory."""
    from matchmaker.downloads import XLSX_MIMETYPE, attachment

    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _blocks once sent)
    try:
        save(book, handle)
        size = handle.tell()
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = attachment(_blocks(handle), filename, XLSX_MIMETYPE)
    response.call_on_close(handle.close)  # also when the download stops before its end
    response.headers["Content-Length"] = str(size)
    return response


def _blocks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while block := handle.read(BLOCK_SIZE):
            yield block
