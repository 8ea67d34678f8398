"""A fictional but realistic editor referential, messy spellings of it, and demo
declaration files. Seeded: the same seed gives the same output.

The project ships no copy of any national list: every editor and product name below is
invented. Tests use this module to measure editor normalisation; ``grappes demo`` uses it
(through ``matchmaker.imports.synthetic_declarations``, which reads the ESSMS of a
database) to write a declarations file. Pure: no database here.
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from importers.editor_names import ReferenceName
from importers.values import strip_accents


@dataclass(frozen=True)
class SyntheticSolution:
    name: str
    reference_segur: bool


@dataclass(frozen=True)
class SyntheticEditor:
    name: str
    solutions: tuple[SyntheticSolution, ...]
    aliases: tuple[str, ...] = ()


def _editor(name: str, solutions: str, aliases: str = "") -> SyntheticEditor:
    """``solutions``: ``Name:1, Other:0`` (1 = référencé Ségur)."""
    parsed = tuple(
        SyntheticSolution(item.rsplit(":", 1)[0].strip(), item.rsplit(":", 1)[1] == "1")
        for item in solutions.split(",")
    )
    return SyntheticEditor(name, parsed, tuple(a.strip() for a in aliases.split(",") if a.strip()))


#: Invented editors of DUI software, with their products and usual aliases.
EDITORS: tuple[SyntheticEditor, ...] = (
    _editor("Aurore Informatique", "Aurore DUI:1, Aurore Domicile:0", "AURINFO"),
    _editor("Berlioz Logiciels", "Symphonie:1, Symphonie Domicile:1"),
    _editor("Calypso Santé", "Calypso Care:1"),
    _editor("Dauphin Systèmes", "Odyssée:1, Odyssée Enfance:0"),
    _editor("Écrin Numérique", "Écrin Usager:1"),
    _editor("Fenouil Solutions", "Mosaïque:1"),
    _editor("Galaxie Médico-Social", "Orbite:1, Orbite PH:0", "GMS"),
    _editor("Hélios Data", "Soleil DUI:0"),
    _editor("Iris Informatique Sociale", "Prisme:1", "IIS"),
    _editor("Jade Technologies", "Jade Accompagnement:1"),
    _editor("Kermadec Édition", "Boussole:1"),
    _editor("Lumen Soft", "Lanterne:1, Lanterne Domicile:1"),
    _editor("Médialis", "Médialis Dossier:1"),
    _editor("Nérée Conseil et Logiciels", "Triton:0", "NCL"),
    _editor("Opale Systèmes d'Information", "Nacre:1", "OSI"),
    _editor("Pléiade Santé Social", "Constellation:1", "PSS"),
    _editor("Quartz Éditions", "Silice:0"),
    _editor("Rivage Informatique", "Estuaire:1"),
    _editor("Sémaphore SI", "Vigie:1, Vigie Domicile:0"),
    _editor("Tilleul Logiciel", "Canopée:1"),
    _editor("Ulysse Care", "Ithaque:1"),
    _editor("Vercors Développement", "Alpage:0, Alpage Évolution:1"),
    _editor("Winch Médical", "Cabestan:1"),
    _editor("Xylème Santé", "Sève:1"),
    _editor("Yucca Solutions", "Oasis DUI:1"),
    _editor("Zénith Social", "Apogée:1"),
    _editor("Archipel Médico", "Lagune:1"),
    _editor("Boréal Informatique", "Banquise:1"),
    _editor("Cèdre Systèmes", "Résine:0"),
    _editor("Domitia Numérique", "Via Domitia:1"),
)


def synthetic_referential(count: int | None = None, seed: int = 0) -> list[SyntheticEditor]:
    """``count`` editors of ``EDITORS`` (all by default), in an order drawn from ``seed``."""
    editors = list(EDITORS)
    random.Random(seed).shuffle(editors)
    return editors[: count or len(editors)]


def reference_names(referential: Sequence[SyntheticEditor]) -> list[ReferenceName]:
    """The names a matcher is fitted on, as ``matchmaker.editors.services`` builds them
    from the database: editor, solutions, "editor solution" pairs, aliases."""
    names: list[ReferenceName] = []
    for editor in referential:
        names.append(ReferenceName(editor.name, editor.name, "editor"))
        for solution in editor.solutions:
            names.append(ReferenceName(solution.name, editor.name, "solution", solution.name))
            names.append(
                ReferenceName(
                    f"{editor.name} {solution.name}", editor.name, "editor_solution", solution.name
                )
            )
        names.extend(ReferenceName(alias, editor.name, "alias") for alias in editor.aliases)
    return names


def write_referential_csv(path: Path, referential: Sequence[SyntheticEditor]) -> Path:
    """The referential as ``grappes import-editors`` reads it: ``editeur;solution;
    reference_segur;alias`` (aliases separated by ``|``), UTF-8."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["editeur", "solution", "reference_segur", "alias"])
        for editor in referential:
            for index, solution in enumerate(editor.solutions):
                aliases = "|".join(editor.aliases) if index == 0 else ""
                flag = "oui" if solution.reference_segur else "non"
                writer.writerow([editor.name, solution.name, flag, aliases])
    return path


# --- Messy spellings ---------------------------------------------------------------------

VARIANT_KINDS = (
    "case",
    "accents",
    "typo",
    "legal_suffix",
    "product",
    "editor_product",
    "abbreviation",
    "punctuation",
    "typo_case",
    "legal_typo",
    "double_typo",
    "product_typo",
)
_LEGAL_FORMS = ("{} SAS", "{} SARL", "{} S.A.S.", "Groupe {}", "Société {}", "{} SA", "{} (SAS)")
_KEYBOARD = {
    "a": "zqs",
    "e": "zrd",
    "i": "uok",
    "o": "ipl",
    "u": "yij",
    "n": "bm",
    "s": "qdz",
    "r": "etf",
    "t": "ryg",
    "l": "kmo",
    "c": "xv",
    "m": "nl",
}


@dataclass(frozen=True)
class Variant:
    """A messy spelling, the editor it means, and how it was made."""

    raw: str
    editor: str
    kind: str


def _recase(text: str, rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return text.upper()
    if choice == 1:
        return text.lower()
    if choice == 2:
        return text.title()
    return "".join(c.upper() if rng.random() < 0.3 else c.lower() for c in text)


def _typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in the longest word: swap, drop, double or neighbour key."""
    words = text.split(" ")
    index = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[index]
    if len(word) < 5:
        return text
    position = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(4)
    if kind == 0:
        word = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    elif kind == 1:
        word = word[:position] + word[position + 1 :]
    elif kind == 2:
        word = word[:position] + word[position] + word[position:]
    else:
        letter = word[position].lower()
        replacement = rng.choice(_KEYBOARD.get(letter, "aeiou"))
        word = word[:position] + replacement + word[position + 1 :]
    words[index] = word
    return " ".join(words)


def _abbreviation(editor: SyntheticEditor, rng: random.Random) -> str:
    if editor.aliases and rng.random() < 0.5:
        alias = rng.choice(editor.aliases)
        return ".".join(alias) + "." if rng.random() < 0.5 else alias.lower()
    words = editor.name.split()
    if len(words) == 1:
        return words[0][: max(5, len(words[0]) - 2)] + "."
    last = words[-1]
    return " ".join([*words[:-1], last[: max(4, len(last) // 2)] + "."])


def make_variant(editor: SyntheticEditor, kind: str, rng: random.Random) -> str:
    """One messy spelling of ``editor`` of the given kind (see ``VARIANT_KINDS``)."""
    name = editor.name
    solution = rng.choice(editor.solutions).name
    if kind == "case":
        return _recase(name, rng)
    if kind == "accents":
        stripped = strip_accents(name)
        return stripped if stripped != name else name.replace("e", "é", 1)
    if kind == "typo":
        return _typo(name, rng)
    if kind == "legal_suffix":
        return rng.choice(_LEGAL_FORMS).format(name)
    if kind == "product":
        return _recase(solution, rng) if rng.random() < 0.5 else solution
    if kind == "editor_product":
        form = rng.choice(("{} - {}", "{1} ({0})", "{} / {}", "{} {}", "{1} de {0}"))
        return form.format(name, solution)
    if kind == "abbreviation":
        return _abbreviation(editor, rng)
    if kind == "punctuation":
        return rng.choice(("  {}  ", "{}.", "'{}'", "{} ;", "« {} »")).format(
            name.replace(" ", rng.choice(("-", "  ", "_")))
        )
    if kind == "typo_case":
        return _recase(_typo(name, rng), rng)
    if kind == "legal_typo":
        return rng.choice(_LEGAL_FORMS).format(_typo(strip_accents(name), rng))
    if kind == "double_typo":
        return _typo(_typo(name, rng), rng)
    if kind == "product_typo":
        return _recase(_typo(solution, rng), rng)
    raise ValueError(f"unknown variant kind {kind!r}")


def messy_variants(
    referential: Sequence[SyntheticEditor], count: int, seed: int = 0
) -> list[Variant]:
    """``count`` labelled messy spellings, every kind for every editor in turn."""
    rng = random.Random(seed)
    variants: list[Variant] = []
    while len(variants) < count:
        for kind in VARIANT_KINDS:
            for editor in referential:
                if len(variants) == count:
                    return variants
                variants.append(Variant(make_variant(editor, kind, rng), editor.name, kind))
    return variants


# --- Demo declarations -------------------------------------------------------------------

#: French headers a questionnaire typically has (aliases the importer reads).
DEMO_HEADERS = {
    "finess_et": "N° FINESS",
    "editeur": "Éditeur DUI",
    "champ": "Champ",
    "departement": "Département",
    "statut_dui": "Statut du DUI",
    "statut_sons": "Statut SONS",
    "editeur_sons": "Éditeur SONS",
    "porteur_volontaire": "Porteur volontaire",
    "deja_finance_esms_numerique": "Déjà financé ESMS numérique",
    "email_contact": "E-mail de contact",
    "commentaire": "Commentaire",
}


class DemoEssms(NamedTuple):
    """An open ESSMS a demo declarations file may answer for."""

    finess_et: str
    finess_ej: str
    department: str
    region: str | None
    champ: str | None


@dataclass
class DemoDeclarations:
    """What ``write_demo_declarations`` wrote."""

    path: Path
    rows: int
    editors: Counter[str] = field(default_factory=Counter)
    messy: int = 0
    faulty: int = 0


def _market_shares(
    regions: Sequence[str], editors: Sequence[SyntheticEditor], rng: random.Random
) -> dict[str, list[float]]:
    """Per region, editor weights: a few editors lead each regional market."""
    shares = {}
    for region in regions:
        weights = [rng.paretovariate(1.2) for _ in editors]
        shares[region] = weights
    return shares


def _yes_no(value: bool, rng: random.Random) -> str:
    word = "oui" if value else "non"
    return rng.choice((word, word.upper(), word.title(), word[0].upper()))


def write_demo_declarations(
    essms: Sequence[DemoEssms],
    campaign: str,
    path: Path,
    *,
    seed: int = 0,
    sample: float = 0.6,
    referential: Sequence[SyntheticEditor] | None = None,
    error_rate: float = 0.01,
    limit: int | None = None,
) -> DemoDeclarations:
    """Write a messy declarations file (``.xlsx`` or ``.csv`` by suffix) for a sample of
    ``essms`` (in FINESS order), as a campaign would get them back.

    Editors follow regional market shares and OG (ESSMS of one OG mostly share their
    editor); about 15 % have no DUI, a share of the référencé ones ordered SONS; editor
    names are typed in messy ways; ``error_rate`` of the rows carry a mistake the importer
    reports (mistyped FINESS, invalid e-mail, status without editor). XLSX numbers lose
    their leading zero as Excel does; CSV is Windows-1252 with ``;``. ``limit`` caps the
    rows. ``matchmaker.imports.synthetic_declarations.open_essms`` reads them from a database.
    """
    rng = random.Random(seed)
    editors = list(referential or synthetic_referential(seed=seed))
    rows = list(essms)
    chosen = [row for row in rows if rng.random() < sample][:limit]
    regions = sorted({row.region or row.department for row in chosen})
    shares = _market_shares(regions, editors, rng)
    og_editor: dict[str, SyntheticEditor] = {}
    result = DemoDeclarations(path=path, rows=0)
    records: list[dict[str, object]] = []
    by_og: dict[str, list[str]] = defaultdict(list)
    for row in chosen:
        region = row.region or row.department
        editor = og_editor.get(row.finess_ej)
        if editor is None or rng.random() < 0.2:
            editor = rng.choices(editors, weights=shares[region])[0]
            og_editor.setdefault(row.finess_ej, editor)
        solution = rng.choice(editor.solutions)
        no_dui = rng.random() < 0.15
        dui = (
            "aucun"
            if no_dui
            else ("reference_segur" if solution.reference_segur else "non_reference")
        )
        sons = "aucun"
        if dui == "reference_segur":
            draw = rng.random()
            sons = "commande" if draw < 0.2 else "realise" if draw < 0.3 else "aucun"
        raw_editor = "" if no_dui and rng.random() < 0.7 else editor.name
        if raw_editor and rng.random() < 0.4:
            raw_editor = make_variant(editor, rng.choice(VARIANT_KINDS), rng)
            result.messy += 1
        by_og[row.finess_ej].append(row.finess_et)
        record: dict[str, object] = {
            "finess_et": row.finess_et,
            "editeur": raw_editor,
            "champ": (row.champ or "") if rng.random() < 0.9 else "",
            "departement": row.department if rng.random() < 0.7 else "",
            "statut_dui": _status_spelling(dui, rng),
            "statut_sons": _status_spelling(sons, rng, sons=True) if rng.random() < 0.9 else "",
            "editeur_sons": editor.name if sons != "aucun" else "",
            "porteur_volontaire": _yes_no(rng.random() < 0.1, rng),
            "deja_finance_esms_numerique": _yes_no(rng.random() < 0.06, rng),
            "email_contact": f"direction.{row.finess_et}@exemple.fr",
            "commentaire": rng.choice(("", "", "", "Souhaite changer de logiciel", "RAS")),
        }
        if rng.random() < error_rate:
            result.faulty += 1
            _spoil(record, rng)
        if raw_editor:
            result.editors[editor.name] += 1
        records.append(record)
    result.rows = len(records)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, records, campaign)
    else:
        _write_csv(path, records)
    return result


def _status_spelling(status: str, rng: random.Random, *, sons: bool = False) -> str:
    if sons and status == "aucun":
        return rng.choice(("aucun", "Aucun", "NON", "néant"))
    spellings = {
        "aucun": ("aucun", "Aucun", "AUCUN", "Pas de DUI"),
        "non_reference": ("non_reference", "Non référencé", "non referencé", "NON REFERENCE"),
        "reference_segur": ("reference_segur", "Référencé Ségur", "référencé", "Reference segur"),
        "commande": ("commande", "Commandé", "COMMANDE"),
        "realise": ("realise", "Réalisé", "réalisée", "REALISE"),
    }
    return rng.choice(spellings[status])


def _spoil(record: dict[str, object], rng: random.Random) -> None:
    """One realistic mistake."""
    kind = rng.randrange(3)
    if kind == 0:
        finess = str(record["finess_et"])
        position = rng.randrange(3, 9)
        digit = str((int(finess[position]) + 1) % 10) if finess[position].isdigit() else "1"
        record["finess_et"] = finess[:position] + digit + finess[position + 1 :]
    elif kind == 1:
        record["email_contact"] = "direction@"
    else:
        record["statut_sons"] = "commande"
        record["editeur_sons"] = ""
        record["editeur"] = ""


def write_demo_embarked(
    numbers: Sequence[str],
    path: Path,
    *,
    seed: int = 0,
    funded_share: float = 0.08,
    sons_share: float = 0.1,
    referential: Sequence[SyntheticEditor] | None = None,
) -> int:
    """Write an ARS embarkation list (CSV, ``;``, UTF-8) for the open ESSMS ``numbers`` (in
    FINESS order): ``funded_share`` already funded by ESMS numérique (by project, 2021 to
    2024), ``sons_share`` with a SONS order. Returns the number of rows."""
    rng = random.Random(seed)
    editors = list(referential or synthetic_referential(seed=seed))
    rows: list[list[object]] = []
    for finess in numbers:
        draw = rng.random()
        editor = rng.choice(editors)
        if draw < funded_share:
            year = rng.randint(2021, 2024)
            project = f"Projet {finess[:2]}-{year}-{rng.randint(1, 12)}"
            rows.append([finess, "ESMS numérique", editor.name, year, project])
        elif draw < funded_share + sons_share:
            rows.append([finess, "SONS", editor.name, rng.randint(2022, 2025), ""])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["finess_et", "dispositif", "editeur", "annee", "projet"])
        writer.writerows(rows)
    return len(rows)


def _write_csv(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", encoding="cp1252", errors="replace", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(DEMO_HEADERS.values())
        for record in records:
            writer.writerow(record[name] for name in DEMO_HEADERS)


def _write_xlsx(path: Path, records: list[dict[str, object]], campaign: str) -> None:
    # A normal workbook, not write-only: it records the sheet's dimension as Excel does.
    import openpyxl  # imported here: the command line starts without it

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Réponses"
    sheet.append([f"Enquête DUI — campagne {campaign}"])
    sheet.append([])
    sheet.append(list(DEMO_HEADERS.values()))
    for record in records:
        values = [record[name] for name in DEMO_HEADERS]
        finess = str(values[0])
        values[0] = int(finess) if finess.isdigit() else finess
        sheet.append(values)
    workbook.save(path)
