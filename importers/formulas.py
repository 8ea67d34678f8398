"""Formula injection (« CSV injection »): every CSV and XLSX the service writes goes
through this module.

A spreadsheet opening a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return may run it as a formula (``=HYPERLINK(...)``, DDE). Following the OWASP
guidance, such text cells are written with a leading single quote, so that they are shown
as text; numbers, dates and booleans are left as they are (a real number stays a number).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl is loaded by the code that writes a workbook
    from openpyxl import Workbook


#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` safe for a spreadsheet cell: text starting with a formula trigger gets a
    leading single quote; anything else (numbers included) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row neutralised."""
    return [neutralise(value) for value in values]


class SafeCsvWriter:
    """``csv.writer`` whose rows are neutralised."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(neutralise_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose values are neutralised (the header is ours)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)


def neutralise_workbook(book: Workbook) -> Workbook:
    """Neutralise every text cell of a (not write-only) workbook before it is saved;
    ``openpyxl`` stores a string starting with ``=`` as a formula otherwise. Write-only
    workbooks neutralise each row as it is appended (:func:`neutralise_row`)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    cell.value = neutralise(cell.value)
    return book
