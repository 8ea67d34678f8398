"""XLSX exports (issue 14): write-only workbooks whose memory does not grow with their
rows, sent in blocks from a temporary file, every cell neutralised."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator

from flask import Flask
from openpyxl import load_workbook

from matchmaker import xlsx


def _rows(count: int) -> Iterator[list[object]]:
    for i in range(count):
        yield [f"{i:09d}", f"Établissement n° {i}", i * 1.5, "=HYPERLINK(1)", "oui", i]


def _peak_bytes(count: int) -> int:
    """Peak memory allocated while ``count`` rows are written and the file saved."""
    tracemalloc.start()
    try:
        book = xlsx.new_workbook()
        xlsx.write_sheet(book, "Lignes", _rows(count), header=["a", "b", "c", "d", "e", "f"])
        xlsx.to_bytes(book)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_rows() -> None:
    """Ten times the rows, about the same peak (an ordinary openpyxl workbook holds every
    cell: its peak grows tenfold, ~2 kB a row here)."""
    _peak_bytes(5)  # openpyxl's modules and caches, loaded once
    small, large = _peak_bytes(200), _peak_bytes(2_000)
    assert large < small * 1.5, (small, large)


def test_the_workbook_reads_back_with_its_header_formats_and_neutralised_cells() -> None:
    book = xlsx.new_workbook()
    xlsx.write_sheet(
        book,
        "Un titre de feuille bien plus long que trente et un caractères",
        [["=1+1", 0.25], ["@SOMME", None]],
        header=["Texte", "Taux"],
        formats={1: "0.0%"},
        freeze_header=True,
    )
    sheet = load_workbook(io.BytesIO(xlsx.to_bytes(book))).worksheets[0]
    assert sheet.title == "Un titre de feuille bien plus l"
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Texte", "Taux"],
        ["'=1+1", 0.25],
        ["'@SOMME", None],
    ]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet["B2"].number_format == "0.0%"
    assert sheet["A2"].data_type == "s"  # text, not a formula


def test_a_sent_workbook_comes_in_blocks_from_a_file(app: Flask) -> None:
    book = xlsx.new_workbook()
    xlsx.write_sheet(book, "Lignes", _rows(3_000), header=["a", "b", "c", "d", "e", "f"])
    with app.test_request_context():
        response = xlsx.send(book, "lignes.xlsx")
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="lignes.xlsx"'
    blocks = [bytes(block) for block in response.iter_encoded()]
    response.close()
    assert len(blocks) > 1 and all(len(b) <= xlsx.BLOCK_SIZE for b in blocks)
    data = b"".join(blocks)
    assert int(response.headers["Content-Length"]) == len(data)
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) == 3_001
