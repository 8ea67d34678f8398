"""The « liste des structures engagées » workbook of one grappe, as the ESMS numérique
funding dossier asks for it: the carrier (SIRET, address), each member's FINESS ET and EJ,
the EJ's legal name (« raison sociale »), address and legal status, its current DUI and
editor without contradiction, each OG's answer, the funding lines and the checklist.

One function, :func:`engaged_structures_xlsx`. Member facts (DUI, editors) come from the
grappe assessment (:mod:`matchmaker.grappes.read_model`), so the workbook says what the
pages and the checklist say.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import formatting, xlsx
from matchmaker.campaigns import exports
from matchmaker.grappes import read_model
from matchmaker.grappes.read_model import GrappeView
from matchmaker.models import Establishment, GrappeAnswer, Organisation
from matchmaker.vocabulary import Answer, DuiStatus

if TYPE_CHECKING:  # openpyxl is imported by matchmaker.xlsx when a workbook is written
    from openpyxl import Workbook

CARRIER_COLUMNS = ("Rubrique", "Valeur")
MEMBER_COLUMNS = (
    "FINESS ET",
    "Nom de l'ESSMS",
    "Adresse de l'ESSMS",
    "Code postal",
    "Commune",
    "Département",
    "Catégorie",
    "FINESS EJ",
    "Raison sociale de l'EJ",
    "Adresse de l'EJ",
    "Statut juridique de l'EJ",
    "SIRET de l'EJ",
    "DUI actuel",
    "Éditeur du DUI actuel",
    "Éditeur souhaité (sans DUI)",
    "Commande SONS auprès de",
    "Éditeur de la grappe",
    "Type de projet",
    "Porteur",
    "Réponse de l'OG",
    "Distance au centre (km)",
)
ANSWER_COLUMNS = (
    "FINESS EJ",
    "Raison sociale",
    "ESSMS dans la grappe",
    "Réponse",
    "Date",
    "Commentaire",
)

DUI_LABELS = DuiStatus.labels()
ANSWER_LABELS = Answer.labels()


def _legal_name(organisation: Organisation | None, finess_ej: str) -> str:
    """The EJ's « raison sociale » (FINESS long name), else its short name."""
    if organisation is None:
        return finess_ej
    return organisation.long_name or organisation.name or finess_ej


def _establishment_address(establishment: Establishment | None) -> str:
    return (establishment.address or "") if establishment else ""


def engaged_structures_xlsx(session: Session, view: GrappeView) -> Workbook:
    """The grappe's workbook for the funding dossier (see the module's docstring), to
    send with :func:`matchmaker.xlsx.send`."""
    grappe = view.grappe
    finess = [m.finess_et for m in view.members]
    establishments = {
        e.finess_et: e
        for e in session.scalars(select(Establishment).where(Establishment.finess_et.in_(finess)))
    }
    ejs = {m.finess_ej for m in view.members} | (
        {grappe.carrier_ej} if grappe.carrier_ej else set()
    )
    organisations = {
        o.finess_ej: o
        for o in session.scalars(select(Organisation).where(Organisation.finess_ej.in_(ejs)))
    }
    answers = {
        a.finess_ej: a
        for a in session.scalars(select(GrappeAnswer).where(GrappeAnswer.grappe_id == grappe.id))
    }

    carrier = organisations.get(grappe.carrier_ej or "")
    carrier_rows: list[list[object]] = [
        ["Grappe", f"n° {grappe.number} du calcul n° {grappe.run_id}"],
        ["Éditeur de la grappe", view.editor_label],
        ["Nombre d'ESSMS", len(view.members)],
        ["Nombre d'organismes gestionnaires", len({m.finess_ej for m in view.members})],
        [
            "Porteur : raison sociale",
            _legal_name(carrier, grappe.carrier_ej or "") if carrier else "non désigné",
        ],
        ["Porteur : FINESS EJ", grappe.carrier_ej or ""],
        ["Porteur : SIRET", (carrier.siret or "non renseigné") if carrier else ""],
        ["Porteur : adresse", (carrier.address or "non renseignée") if carrier else ""],
        ["Porteur : statut juridique", (carrier.legal_status_label or "") if carrier else ""],
        ["Recevabilité", view.checklist.status.label],
    ]

    def member_rows() -> Iterable[list[object]]:
        for member in view.members:
            establishment = establishments.get(member.finess_et)
            organisation = organisations.get(member.finess_ej)
            dui_status = member.dui_status if member.declared else None
            has_dui = read_model.has_dui(dui_status)
            declared_editor = member.dui_editor
            answer = answers.get(member.finess_ej)
            yield [
                member.finess_et,
                member.name,
                _establishment_address(establishment),
                (establishment.postcode or "") if establishment else "",
                member.commune,
                formatting.department(member.department) if member.department else "",
                member.category,
                member.finess_ej,
                _legal_name(organisation, member.finess_ej),
                (organisation.address or "") if organisation else "",
                (organisation.legal_status_label or "") if organisation else "",
                (organisation.siret or "") if organisation else "",
                DUI_LABELS.get(dui_status or "", "non déclaré"),
                declared_editor if has_dui else "",
                "" if has_dui else declared_editor,
                member.sons_editor or "",
                view.editor_label,
                member.project_type.label,
                "oui" if member.is_carrier else "non",
                ANSWER_LABELS.get(answer.answer, answer.answer) if answer else "en attente",
                round(member.distance_km, 1),
            ]

    def answer_rows() -> Iterable[list[object]]:
        counts: dict[str, int] = {}
        for member in view.members:
            counts[member.finess_ej] = counts.get(member.finess_ej, 0) + 1
        for finess_ej, count in sorted(counts.items()):
            answer = answers.get(finess_ej)
            yield [
                finess_ej,
                _legal_name(organisations.get(finess_ej), finess_ej),
                count,
                ANSWER_LABELS.get(answer.answer, answer.answer) if answer else "en attente",
                formatting.date(answer.answered_at) if answer else "",
                (answer.comment or "") if answer else "",
            ]

    book = xlsx.new_workbook()
    xlsx.write_sheet(book, "Porteur", carrier_rows, header=CARRIER_COLUMNS)
    xlsx.write_sheet(book, "Structures engagées", member_rows(), header=MEMBER_COLUMNS)
    xlsx.write_sheet(book, "Réponses des OG", answer_rows(), header=ANSWER_COLUMNS)
    xlsx.write_sheet(
        book, "Financement", exports.funding_rows(view), header=exports.FUNDING_COLUMNS
    )
    xlsx.write_sheet(
        book, "Recevabilité", exports.checklist_rows(view), header=exports.CHECKLIST_COLUMNS
    )
    return book
