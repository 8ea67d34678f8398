"""Issue 11, hole 3: one neutralising helper, used by every CSV and XLSX writer."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from importers.formulas import SafeCsvWriter, neutralise, neutralise_workbook
from tests.helpers import ROOT

WRITERS = re.compile(r"csv\.writer\(|DictWriter\(|Workbook\(")
#: Modules writing spreadsheets that are not service output: the synthetic generator writes
#: demo *input* files (the importers then read them).
NOT_OUTPUT = {"importers/synthetic_declarations.py", "importers/formulas.py"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example";"x")', '\'=HYPERLINK("http://evil.example";"x")'),
        ("+33 6 00", "'+33 6 00"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Alpha Santé", "Alpha Santé"),
        ("", ""),
        (-3, -3),
        (2.5, 2.5),
        (None, None),
        (True, True),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def test_every_writer_of_the_service_uses_the_helper() -> None:
    offenders = []
    for folder in ("matchmaker", "importers", "solver"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            if name in NOT_OUTPUT or not WRITERS.search(text):
                continue
            if "importers.formulas" not in text:
                offenders.append(name)
    assert offenders == []


def test_csv_and_workbook_helpers() -> None:
    buffer = io.StringIO()
    SafeCsvWriter(buffer, delimiter=";").writerow(["=1+1", 3, "-x"])
    assert buffer.getvalue().strip() == "'=1+1;3;'-x"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=1+1", -4, "ok"])
    saved = io.BytesIO()
    neutralise_workbook(book).save(saved)
    cells = next(iter(load_workbook(saved).active.iter_rows()))  # type: ignore[union-attr]
    assert [c.value for c in cells] == ["'=1+1", -4, "ok"]
    assert [c.data_type for c in cells] == ["s", "n", "s"]
