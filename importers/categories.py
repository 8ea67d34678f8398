"""The reviewed FINESS category table: category code → ESSMS or not, champ, aggregate.

``importers/data/categories.csv`` is derived from the public TRE_R66 nomenclature (labels,
status), the ASS_X10 association (aggregates, domain) and the working table of
``../shared/data/finess/nomenclature/categories-finess-champs.csv``, then reviewed by us.
Every decision that departs from the working table is marked ``DECISION:`` in the note
column, with its reason (the CASF L.312-1 item, the CNSA correspondence tables of
``../shared/data/finess/nomenclature/``). Where no decision can be made from the category
alone, ``is_essms`` is ``a_confirmer`` and the note starts ``À CONFIRMER:``: such an
establishment is a candidate ESSMS, and every page that says whether it is an ESSMS says
« à confirmer » (``essms_label``), never « oui » silently. Rules of the table:

- an ESSMS is an establishment or service of an L.312-1 category (CASF); health
  establishments (domain SAN), schools, training centres and administrations are not;
- champs: PA, PH, DOM, PDS, PDE, AHI, PJM (see DOMAIN.md); a non-ESSMS may keep a champ
  for reporting (residences sociales are AHI without being ESSMS);
- closed categories stay in the table: existing establishments still carry them.

Match on codes, never on labels (TRE_R66 renames categories).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"

#: ``is_essms`` of a category no decision could be made for.
TO_CONFIRM = "a_confirmer"
#: The champs of the programme, in DOMAIN.md order.
CHAMPS: tuple[str, ...] = ("PA", "PH", "DOM", "PDS", "PDE", "AHI", "PJM")


@dataclass(frozen=True)
class Category:
    """One FINESS establishment category (``categetab``)."""

    code: str
    label: str
    is_open: bool
    is_essms: bool
    champ: str | None
    aggregate_code: str | None
    aggregate_label: str | None
    domain: str | None
    note: str
    #: No decision could be made from the category alone: shown « à confirmer ».
    to_confirm: bool = False

    @property
    def is_decision(self) -> bool:
        """True when this row is one of our documented review decisions."""
        return self.note.startswith("DECISION:")


def read_categories(path: Path = CATEGORIES_CSV) -> dict[str, Category]:
    """Read a category table in our format; raises ``ValueError`` on a malformed row."""
    categories: dict[str, Category] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle, delimiter=";"), start=2):
            code = row["categetab"].strip()
            essms = row["is_essms"].strip()
            champ = row["champ"].strip() or None
            if not (len(code) == 3 and code.isdigit()):
                raise ValueError(f"{path.name}, line {line}: bad category code {code!r}")
            if essms not in ("oui", "non", TO_CONFIRM):
                raise ValueError(f"{path.name}, line {line}: is_essms must be oui/non/a_confirmer")
            if champ is not None and champ not in CHAMPS:
                raise ValueError(f"{path.name}, line {line}: unknown champ {champ!r}")
            if essms != "non" and champ is None:
                raise ValueError(f"{path.name}, line {line}: an ESSMS needs a champ")
            if essms == TO_CONFIRM and not row["note"].startswith("À CONFIRMER:"):
                raise ValueError(f"{path.name}, line {line}: say why it is to confirm")
            categories[code] = Category(
                code=code,
                label=row["label"].strip(),
                is_open=row["status"].strip() == "open",
                is_essms=essms != "non",
                champ=champ,
                aggregate_code=row["aggregate_code"].strip() or None,
                aggregate_label=row["aggregate_label"].strip() or None,
                domain=row["domain"].strip() or None,
                note=row["note"].strip(),
                to_confirm=essms == TO_CONFIRM,
            )
    return categories


@cache
def categories() -> dict[str, Category]:
    """The project's reviewed table, read once."""
    return read_categories()


def category(code: str | None) -> Category | None:
    """The category of ``code`` (``"500"``), or None when unknown or empty."""
    if not code:
        return None
    return categories().get(code.strip().zfill(3))


def essms_label(category_code: str | None, is_essms: bool) -> str:
    """« oui », « non » or « à confirmer » (a category no decision could be made for)."""
    known = category(category_code)
    if is_essms and known is not None and known.to_confirm:
        return "à confirmer"
    return "oui" if is_essms else "non"
