"""The declaration template sent to ESSMS, in French: CSV, or XLSX with drop-down lists
and an ``aide`` sheet explaining each column.

Its columns are the canonical columns of ``importers.declaration_columns.COLUMNS``, so a filled
template always imports without header guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importers.declaration_columns import COLUMNS
from importers.formulas import SafeCsvWriter, neutralise_workbook
from importers.vocabulary import CHAMPS, DUI_STATUSES, SONS_STATUSES

#: Rows of the XLSX template that carry drop-down lists.
TEMPLATE_ROWS = 5000
YES_NO = ("oui", "non")


@dataclass(frozen=True)
class ColumnHelp:
    description: str
    values: tuple[str, ...] = ()
    example: str = ""
    required: bool = False


HELP: dict[str, ColumnHelp] = {
    "finess_et": ColumnHelp(
        "Numéro FINESS géographique (ET) de l'établissement ou du service, 9 caractères. "
        "Pas le FINESS juridique (EJ) de l'organisme gestionnaire.",
        example="010001234",
        required=True,
    ),
    "editeur": ColumnHelp(
        "Éditeur (ou logiciel) du dossier usager informatisé (DUI) utilisé aujourd'hui. "
        "Laisser vide s'il n'y a pas de DUI.",
        example="Nom de l'éditeur",
    ),
    "champ": ColumnHelp(
        "Champ d'activité : PA personnes âgées, PH personnes handicapées, DOM domicile, "
        "PDS personnes en difficultés spécifiques, PDE protection de l'enfance, AHI accueil "
        "hébergement insertion, PJM protection juridique des majeurs. Vide : celui de FINESS.",
        CHAMPS,
        "PH",
    ),
    "departement": ColumnHelp(
        "Code du département (01 à 95, 2A, 2B, 971 à 976). Vérifié avec FINESS.",
        example="69",
    ),
    "statut_dui": ColumnHelp(
        "Situation du DUI : aucun (pas de DUI), non_reference (DUI non référencé Ségur), "
        "reference_segur (DUI référencé Ségur).",
        DUI_STATUSES,
        "reference_segur",
    ),
    "statut_sons": ColumnHelp(
        "Commande SONS (prestation Ségur payée par l'État à l'éditeur) : aucun, commande "
        "(commandée), realise (installée).",
        SONS_STATUSES,
        "aucun",
    ),
    "editeur_sons": ColumnHelp(
        "Éditeur de la commande SONS, obligatoire si statut_sons vaut commande ou realise "
        "(par défaut : l'éditeur du DUI).",
        example="Nom de l'éditeur",
    ),
    "porteur_volontaire": ColumnHelp(
        "L'organisme gestionnaire est-il volontaire pour porter un projet de grappe ?",
        YES_NO,
        "non",
    ),
    "deja_finance_esms_numerique": ColumnHelp(
        "L'établissement a-t-il déjà été financé par le programme ESMS numérique ?",
        YES_NO,
        "non",
    ),
    "email_contact": ColumnHelp(
        "Adresse e-mail de la personne à contacter.", example="direction@exemple.fr"
    ),
    "commentaire": ColumnHelp("Commentaire libre (2 000 caractères au plus).", example=""),
}

CANONICAL = tuple(column.name for column in COLUMNS)


def write_template(path: Path) -> Path:
    """Write the template: ``.xlsx`` for a workbook, anything else as CSV (UTF-8 with BOM,
    ``;``, the way French Excel reads it)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            SafeCsvWriter(handle, delimiter=";").writerow(CANONICAL)
    return path


def _write_xlsx(path: Path) -> None:
    import openpyxl  # imported here: the command line starts without it
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "declarations"
    sheet.append(list(CANONICAL))
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, name in enumerate(CANONICAL, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 4)
        help_ = HELP[name]
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if help_.values:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(help_.values) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Valeur non prévue",
                error="Choisissez une valeur de la liste : " + ", ".join(help_.values),
                promptTitle=name,
                prompt=", ".join(help_.values),
            )
            validation.add(cells)
            sheet.add_data_validation(validation)
    # FINESS numbers as text: Excel must not drop the leading zero.
    for row in range(2, TEMPLATE_ROWS + 2):
        sheet.cell(row=row, column=1).number_format = "@"
    sheet.freeze_panes = "A2"

    aide = workbook.create_sheet("aide")
    aide.append(["colonne", "obligatoire", "description", "valeurs acceptées", "exemple"])
    for cell in aide[1]:
        cell.font = Font(bold=True)
    for name in CANONICAL:
        help_ = HELP[name]
        aide.append(
            [
                name,
                "oui" if help_.required else "non",
                help_.description,
                ", ".join(help_.values),
                help_.example,
            ]
        )
    aide.append([])
    aide.append(
        [
            "Une ligne par établissement (FINESS ET). Les majuscules et les accents sont "
            "acceptés (« Oui », « Référencé Ségur »). Renvoyez le fichier au format .xlsx "
            "ou CSV."
        ]
    )
    for letter, width in zip("ABCDE", (30, 12, 80, 40, 20), strict=True):
        aide.column_dimensions[letter].width = width
    for row in aide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    neutralise_workbook(workbook).save(path)
