"""The desk's exports: XLSX workbooks (openpyxl) and a CSV for phoning and mailing.

Headers are French; FINESS numbers stay text (leading zeros, 2A/2B); rates are numbers
formatted as percentages. Each function returns the file's bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from importers.formulas import SafeCsvWriter, neutralise_workbook
from matchmaker import formatting
from matchmaker.ars.dashboard import STAGE_LABELS, Dashboard, Row, champ_label
from matchmaker.ars.priorities import Target
from matchmaker.ars.whatif import NO_EDITOR, WhatIf, scope_label

if TYPE_CHECKING:  # openpyxl is imported by the functions that write a workbook
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"

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


def _sheet(workbook: Workbook, title: str, first: bool) -> Worksheet:
    if first:
        sheet = workbook.active
        assert sheet is not None
        sheet.title = title
        return sheet
    return workbook.create_sheet(title)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    neutralise_workbook(workbook).save(buffer)
    return buffer.getvalue()


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


def _append_rows(sheet: Worksheet, rows: Iterable[Sequence[object]], rate_column: int) -> None:
    for values in rows:
        sheet.append(list(values))
        cell = sheet.cell(row=sheet.max_row, column=rate_column)
        cell.number_format = "0.0%"


def dashboard_xlsx(dashboard: Dashboard) -> bytes:
    """Summary, one sheet per breakdown, and the contact pipeline."""
    from openpyxl import Workbook

    workbook = Workbook()
    summary = _sheet(workbook, "Synthèse", first=True)
    summary.append(["Périmètre", dashboard.scope_label])
    summary.append([])
    summary.append(list(TALLY_HEADERS))
    _append_rows(summary, [_tally_cells(Row("", "", dashboard.total))], len(TALLY_HEADERS))
    for title, key_title, rows in dashboard.breakdowns:
        sheet = workbook.create_sheet(title[:31])
        sheet.append([key_title, *TALLY_HEADERS])
        _append_rows(
            sheet, ([row.label, *_tally_cells(row)] for row in rows), len(TALLY_HEADERS) + 1
        )
    pipeline = workbook.create_sheet("Suivi des contacts")
    pipeline.append(["Étape", "ESSMS", "Organismes gestionnaires"])
    for stage, label in STAGE_LABELS.items():
        pipeline.append(
            [label, dashboard.essms_stages.get(stage, 0), dashboard.og_stages.get(stage, 0)]
        )
    pipeline.append(["Non embarqués jamais contactés", dashboard.never_contacted, None])
    return _save(workbook)


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


def targets_xlsx(targets: Sequence[Target]) -> bytes:
    """The non-embarked, for phoning and mailing, in priority order."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = _sheet(workbook, "Non embarqués", first=True)
    sheet.append(list(TARGET_HEADERS))
    for target in targets:
        sheet.append(_target_cells(target))
    sheet.freeze_panes = "A2"
    return _save(workbook)


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


def what_if_xlsx(result: WhatIf) -> bytes:
    """A simulation: its grappes (one row per member), by editor, and the isolated."""
    from openpyxl import Workbook

    workbook = Workbook()
    info = _sheet(workbook, "Simulation", first=True)
    run = result.run
    info.append(["Périmètre", scope_label(list(run.scope))])
    info.append(["Simulation n°", run.id])
    info.append(["Grappes possibles", len(result.grappes)])
    info.append(["ESSMS placés", result.covered])
    info.append(["ESSMS isolés", len(result.isolated)])
    editors = workbook.create_sheet("Par éditeur")
    editors.append(["Éditeur", "Grappes", "ESSMS"])
    for line in result.editors:
        editors.append([line.editor, line.grappes, line.essms])
    members = workbook.create_sheet("Grappes")
    members.append(
        [
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
        ]
    )
    for grappe in result.grappes:
        for member in grappe.members:
            place = result.places.get(member.finess_et)
            members.append(
                [
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
            )
    isolated = workbook.create_sheet("Isolés")
    isolated.append(
        [
            "FINESS ET",
            "Nom",
            "FINESS EJ",
            "Organisme gestionnaire",
            "Commune",
            "Département",
            "Motif",
            "Au plus près",
        ]
    )
    for item in result.isolated:
        place = item.place
        isolated.append(
            [
                place.finess_et,
                place.name,
                place.finess_ej,
                place.og_name or "",
                place.commune or "",
                place.department,
                item.reason,
                item.near_miss or "",
            ]
        )
    return _save(workbook)
