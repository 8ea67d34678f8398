"""Exports in French, XLSX and CSV: per grappe, the « liste des structures engagées » the
application needs, its funding estimate and its checklist; per run, every proposal and
every ESSMS left out with its reason. CSV files are UTF-8 with BOM, ``;`` separators and decimal
commas, as French Excel opens them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from importers.formulas import SafeCsvWriter
from matchmaker import formatting, xlsx
from matchmaker.grappes.read_model import GrappeView, LeftOutView, MemberView
from matchmaker.vocabulary import GrappeStatus

if TYPE_CHECKING:  # openpyxl is imported by the functions that write a workbook
    from openpyxl import Workbook

#: Columns of the « liste des structures engagées ».
ENGAGED_COLUMNS = (
    "FINESS ET",
    "Raison sociale",
    "FINESS EJ",
    "Organisme gestionnaire",
    "Catégorie",
    "Champ",
    "Département",
    "Commune",
    "Éditeur de la grappe",
    "DUI actuel",
    "Éditeur du DUI actuel",
    "SONS",
    "Type de projet",
    "Porteur",
    "Distance au centre (km)",
)
FUNDING_COLUMNS = ("Poste", "Quantité", "Montant unitaire (€)", "Montant (€)", "Plafond")
CHECKLIST_COLUMNS = ("N°", "Point de recevabilité", "Statut", "Détail")
SUMMARY_COLUMNS = (
    "Grappe n°",
    "Éditeur",
    "ESSMS",
    "OG",
    "Petits OG",
    "Distance moyenne (km)",
    "Distance maximale (km)",
    "Porteur",
    "Financement estimé (€)",
    "Recevabilité",
    "OG ayant accepté",
    "OG ayant refusé",
    "Statut",
)
PROPOSAL_COLUMNS = ("Grappe n°", *ENGAGED_COLUMNS)
LEFT_OUT_COLUMNS = (
    "FINESS ET",
    "Raison sociale",
    "FINESS EJ",
    "Organisme gestionnaire",
    "Département",
    "Commune",
    "Éditeur déclaré",
    "Motif",
    "Au plus près",
)
RUN_CSV_COLUMNS = ("Situation", *PROPOSAL_COLUMNS, "Motif", "Au plus près")


def engaged_row(view: GrappeView, member: MemberView) -> list[object]:
    return [
        member.finess_et,
        member.name,
        member.finess_ej,
        member.og_name,
        member.category,
        member.champ,
        member.department,
        member.commune,
        view.editor_label,
        member.dui_label,
        member.dui_editor,
        member.sons_label,
        member.project_type.label,
        "oui" if member.is_carrier else "non",
        round(member.distance_km, 1),
    ]


def funding_rows(view: GrappeView) -> list[list[object]]:
    if view.estimate is None:
        return [[f"Estimation impossible : {view.estimate_error}", "", "", "", ""]]
    estimate = view.estimate
    rows: list[list[object]] = [
        [
            line.label,
            line.quantity,
            line.unit_eur,
            line.amount_eur,
            "oui" if line.is_maximum else "non",
        ]
        for line in estimate.lines
    ]
    rows += [
        ["Total usage", "", "", estimate.usage_eur, "non"],
        ["Total logiciel", "", "", estimate.software_eur, "non"],
        ["Petits OG (maxima)", "", "", estimate.small_og_max_eur, "oui"],
        ["Total estimé", "", "", estimate.total_eur, "non"],
        ["SONS versé à l'éditeur (hors total)", "", "", estimate.sons_eur, "non"],
    ]
    return rows


def checklist_rows(view: GrappeView) -> list[list[object]]:
    return [
        [point.number, point.label, point.status.label, point.detail]
        for point in view.checklist.points
    ]


def summary_row(view: GrappeView) -> list[object]:
    grappe = view.grappe
    return [
        grappe.number,
        view.editor_label,
        len(view.members),
        view.og_total,
        view.small_og_total,
        round(grappe.mean_km, 1),
        round(grappe.max_km, 1),
        view.carrier_name,
        view.estimate.total_eur if view.estimate else "",
        view.checklist.status.label,
        view.accepted,
        view.refused,
        GrappeStatus(grappe.status).label,
    ]


def left_out_row(item: LeftOutView) -> list[object]:
    return [
        item.finess_et,
        item.name,
        item.finess_ej,
        item.og_name,
        item.department,
        item.commune,
        item.editor,
        item.reason,
        item.near_miss or "",
    ]


def grappe_csv(view: GrappeView) -> bytes:
    """The grappe's « liste des structures engagées » as CSV."""
    return _csv(ENGAGED_COLUMNS, (engaged_row(view, m) for m in view.members))


def run_xlsx(views: Iterable[GrappeView], left_out: Iterable[LeftOutView]) -> Workbook:
    """The run's workbook: the grappes, every proposal, every ESSMS left out. Write-only,
    filled in one pass over ``views`` and ``left_out`` (both read lazily): send it with
    :func:`matchmaker.xlsx.send`."""
    book = xlsx.new_workbook()
    grappes = xlsx.add_sheet(book, "Grappes", header=SUMMARY_COLUMNS)
    proposals = xlsx.add_sheet(book, "Propositions", header=PROPOSAL_COLUMNS)
    for view in views:
        xlsx.append_rows(grappes, [summary_row(view)])
        xlsx.append_rows(
            proposals, ([view.grappe.number, *engaged_row(view, m)] for m in view.members)
        )
    xlsx.write_sheet(
        book, "Écartés", (left_out_row(item) for item in left_out), header=LEFT_OUT_COLUMNS
    )
    return book


def run_csv(views: Iterable[GrappeView], left_out: Iterable[LeftOutView]) -> bytes:
    """One line per candidate: proposed in a grappe, or left out with its reason."""
    return b"".join(run_csv_chunks(views, left_out))


def run_csv_chunks(views: Iterable[GrappeView], left_out: Iterable[LeftOutView]) -> Iterator[bytes]:
    """:func:`run_csv` in pieces, for a streamed response (``views`` and ``left_out`` are
    read lazily: a national run is never held whole)."""
    blanks = [""] * (len(ENGAGED_COLUMNS) - 4)

    def rows() -> Iterator[list[object]]:
        for v in views:
            for m in v.members:
                yield ["proposé", v.grappe.number, *engaged_row(v, m), "", ""]
        for item in left_out:
            yield [
                "écarté",
                "",
                item.finess_et,
                item.name,
                item.finess_ej,
                item.og_name,
                *blanks,
                item.reason,
                item.near_miss or "",
            ]

    return csv_chunks(RUN_CSV_COLUMNS, rows())


def errors_csv(rows: Iterable[dict[str, str]], columns: Sequence[str]) -> bytes:
    """An upload's errors and warnings (the preview) as CSV."""
    return _csv(columns, ([row.get(column, "") for column in columns] for row in rows))


def _csv_cell(value: object) -> object:
    """Decimal numbers with a decimal comma, as French Excel reads them."""
    if isinstance(value, float):
        return formatting.decimal_comma(value)
    return value


def _csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return b"".join(csv_chunks(columns, rows))


#: Rows per piece of a streamed CSV.
CSV_CHUNK_ROWS = 500


def csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """A ``;``-separated CSV (UTF-8 with BOM, for Excel) in pieces of ``CSV_CHUNK_ROWS``
    rows; every cell neutralised (``SafeCsvWriter``)."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
