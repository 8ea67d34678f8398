"""The desk's exports: XLSX workbooks (openpyxl) and a CSV for phoning and mailing.

Headers are French; FINESS numbers stay text (leading zeros, 2A/2B); rates are numbers
formatted as percentages. Workbooks are write-only (:mod:`matchmaker.xlsx`, sent from a
temporary file); the CSV comes in pieces for a streamed response.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from importers.formulas import SafeCsvWriter
from matchmaker import formatting, xlsx
from matchmaker.ars.dashboard import STAGE_LABELS, Dashboard, Row, champ_label
from matchmaker.ars.priorities import Target
from matchmaker.ars.whatif import NO_EDITOR, WhatIf, scope_label

if TYPE_CHECKING:  # openpyxl is imported by matchmaker.xlsx when a workbook is written
    from openpyxl import Workbook

TALLY_HEADERS = (
    "ESSMS éligibles",
    "Embarqués ESMS numérique",
    "Embarqués SONS",
    "Embarqués dans les deux",
    "Embarqués (total)",
    "Non embarqués",
    "Taux d'embarquement",
)

TARGET_HEADERS = (
    "FINESS ET",
    "Nom",
    "FINESS EJ",
    "Organisme gestionnaire",
    "Adresse",
    "Code postal",
    "Commune",
    "Département",
    "Téléphone",
    "Champ",
    "Petit OG",
    "Éditeur connu",
    "Isolé",
    "Score de priorité",
    "Étape de contact",
)


def _tally_cells(row: Row) -> list[object]:
    tally = row.tally
    return [
        tally.eligible,
        tally.esms_numerique,
        tally.sons,
        tally.both,
        tally.embarked,
        tally.not_embarked,
        tally.rate,
    ]


#: The rate's number format (a share shown as a percentage).
RATE_FORMAT = "0.0%"


def dashboard_xlsx(dashboard: Dashboard) -> Workbook:
    """Summary, one sheet per breakdown, and the contact pipeline."""
    book = xlsx.new_workbook()
    summary = xlsx.add_sheet(book, "Synthèse")
    xlsx.append_rows(summary, [["Périmètre", dashboard.scope_label], [], list(TALLY_HEADERS)])
    xlsx.append_rows(
        summary,
        [_tally_cells(Row("", "", dashboard.total))],
        formats={len(TALLY_HEADERS) - 1: RATE_FORMAT},
    )
    for title, key_title, rows in dashboard.breakdowns:
        xlsx.write_sheet(
            book,
            title,
            ([row.label, *_tally_cells(row)] for row in rows),
            header=[key_title, *TALLY_HEADERS],
            formats={len(TALLY_HEADERS): RATE_FORMAT},
        )
    pipeline = [
        [label, dashboard.essms_stages.get(stage, 0), dashboard.og_stages.get(stage, 0)]
        for stage, label in STAGE_LABELS.items()
    ]
    pipeline.append(["Non embarqués jamais contactés", dashboard.never_contacted, None])
    xlsx.write_sheet(
        book,
        "Suivi des contacts",
        pipeline,
        header=["Étape", "ESSMS", "Organismes gestionnaires"],
    )
    return book


def _target_cells(target: Target) -> list[object]:
    return [
        target.finess_et,
        target.name,
        target.finess_ej,
        target.og_name or "",
        target.address or "",
        target.postcode or "",
        target.commune or "",
        target.department,
        target.phone or "",
        champ_label(target.champ) if target.champ else "",
        "oui" if target.small_og else "non",
        "oui" if target.editor_known else "non",
        "oui" if target.isolated else "non",
        target.score,
        target.follow_up,
    ]


def targets_xlsx(targets: Iterable[Target]) -> Workbook:
    """The non-embarked, for phoning and mailing, in priority order."""
    book = xlsx.new_workbook()
    xlsx.write_sheet(
        book,
        "Non embarqués",
        (_target_cells(target) for target in targets),
        header=TARGET_HEADERS,
        freeze_header=True,
    )
    return book


def targets_csv(targets: Sequence[Target]) -> bytes:
    """The same list as CSV (``;``-separated, UTF-8 with BOM, for Excel)."""
    return b"".join(targets_csv_chunks(targets))


#: Rows per piece of a streamed CSV.
CSV_CHUNK_ROWS = 500


def targets_csv_chunks(targets: Iterable[Target]) -> Iterator[bytes]:
    """:func:`targets_csv` in pieces of ``CSV_CHUNK_ROWS`` rows, for a streamed response;
    every cell neutralised (``SafeCsvWriter``)."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(TARGET_HEADERS)
    for count, target in enumerate(targets, start=1):
        cells = _target_cells(target)
        cells[13] = formatting.decimal_comma(target.score, 3)
        writer.writerow(cells)
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def what_if_xlsx(result: WhatIf) -> Workbook:
    """A simulation: its grappes (one row per member), by editor, and the isolated."""
    book = xlsx.new_workbook()
    run = result.run
    xlsx.write_sheet(
        book,
        "Simulation",
        [
            ["Périmètre", scope_label(list(run.scope))],
            ["Simulation n°", run.id],
            ["Grappes possibles", len(result.grappes)],
            ["ESSMS placés", result.covered],
            ["ESSMS isolés", len(result.isolated)],
        ],
    )
    xlsx.write_sheet(
        book,
        "Par éditeur",
        ([line.editor, line.grappes, line.essms] for line in result.editors),
        header=["Éditeur", "Grappes", "ESSMS"],
    )
    xlsx.write_sheet(
        book,
        "Grappes",
        _what_if_members(result),
        header=[
            "Grappe n°",
            "Éditeur",
            "FINESS ET",
            "Nom",
            "FINESS EJ",
            "Organisme gestionnaire",
            "Commune",
            "Département",
            "Porteur",
            "Distance au centre (km)",
        ],
    )
    xlsx.write_sheet(
        book,
        "Isolés",
        (
            [
                item.place.finess_et,
                item.place.name,
                item.place.finess_ej,
                item.place.og_name or "",
                item.place.commune or "",
                item.place.department,
                item.reason,
                item.near_miss or "",
            ]
            for item in result.isolated
        ),
        header=[
            "FINESS ET",
            "Nom",
            "FINESS EJ",
            "Organisme gestionnaire",
            "Commune",
            "Département",
            "Motif",
            "Au plus près",
        ],
    )
    return book


def _what_if_members(result: WhatIf) -> Iterator[list[object]]:
    for grappe in result.grappes:
        for member in grappe.members:
            place = result.places.get(member.finess_et)
            yield [
                grappe.number,
                grappe.editor_name or NO_EDITOR,
                member.finess_et,
                place.name if place else "",
                member.finess_ej,
                (place.og_name or "") if place else "",
                (place.commune or "") if place else "",
                place.department if place else "",
                "oui" if member.is_carrier else "non",
                round(member.distance_km, 1),
            ]
