"""What the database knows of FINESS numbers, as plain data for the validators.

``matchmaker.imports.finess_lookup.establishment_index`` reads establishments and
organisations once per import into an ``EstablishmentIndex``; validation then runs on it
without the database (pure: this module imports no database toolkit). ``closest`` explains
an unknown number by the existing numbers nearest to it (one slip of a digit first, then
``difflib``).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

#: How many close numbers a hint lists.
HINT_SIZE = 3
#: Beyond this many unknown numbers in one file, only one-slip neighbours are searched.
FUZZY_HINT_BUDGET = 200

_SYMBOLS = "0123456789"


class EstablishmentRef(NamedTuple):
    finess_et: str
    finess_ej: str
    name: str
    department: str
    commune: str | None
    champ: str | None
    is_essms: bool
    is_open: bool


@dataclass
class EstablishmentIndex:
    """Establishments by FINESS ET, organisations by FINESS EJ, and the ET of each EJ."""

    establishments: dict[str, EstablishmentRef]
    organisations: dict[str, str | None]
    by_organisation: dict[str, list[str]] = field(default_factory=dict)
    _fuzzy_used: int = 0
    _by_prefix: dict[str, list[str]] | None = None

    @classmethod
    def build(
        cls, establishments: dict[str, EstablishmentRef], organisations: dict[str, str | None]
    ) -> EstablishmentIndex:
        """The index of these establishments (by FINESS ET) and organisations (by EJ)."""
        by_organisation: dict[str, list[str]] = defaultdict(list)
        for ref in establishments.values():
            by_organisation[ref.finess_ej].append(ref.finess_et)
        return cls(establishments, organisations, dict(by_organisation))

    def describe(self, finess_et: str) -> str:
        """``010000123 (EHPAD Les Tilleuls, Bourg-en-Bresse)``."""
        ref = self.establishments[finess_et]
        where = f", {ref.commune}" if ref.commune else ""
        return f"{finess_et} ({ref.name}{where})"

    def explain_unknown(self, number: str) -> tuple[str, str]:
        """For a FINESS ET not found: what was expected and a hint (French). A FINESS EJ
        is said to be one, with its establishments; otherwise the closest numbers."""
        if number in self.organisations:
            name = self.organisations[number] or "organisme sans nom"
            ets = sorted(self.by_organisation.get(number, []))
            listed = ", ".join(self.describe(et) for et in ets[:HINT_SIZE])
            more = f" et {len(ets) - HINT_SIZE} autre(s)" if len(ets) > HINT_SIZE else ""
            hint = (
                f"FINESS juridique (EJ) de « {name} » ; ses établissements : {listed}{more}"
                if ets
                else f"FINESS juridique (EJ) de « {name} », sans établissement connu"
            )
            return "un FINESS géographique (ET), pas un FINESS juridique (EJ)", hint
        closest = self.closest(number)
        hint = (
            "numéros proches : " + ", ".join(self.describe(found) for found in closest)
            if closest
            else "aucun numéro proche dans FINESS"
        )
        return "un FINESS ET présent dans FINESS", hint

    def closest(self, number: str, size: int = HINT_SIZE) -> list[str]:
        """Existing FINESS ET nearest to ``number``: one digit changed, two swapped, one
        missing or one extra first; then, within a budget, ``difflib`` on the numbers of
        the same department prefix."""
        found: list[str] = []
        for candidate in _one_slip(number):
            if candidate in self.establishments and candidate not in found:
                found.append(candidate)
                if len(found) == size:
                    return found
        if found or self._fuzzy_used >= FUZZY_HINT_BUDGET:
            return found
        self._fuzzy_used += 1
        if self._by_prefix is None:
            prefixes: dict[str, list[str]] = defaultdict(list)
            for finess in self.establishments:
                prefixes[finess[:2]].append(finess)
            self._by_prefix = dict(prefixes)
        pool = self._by_prefix.get(number[:2], [])
        return difflib.get_close_matches(number, pool, n=size, cutoff=0.7)


def _one_slip(number: str) -> list[str]:
    """Numbers one keyboard slip away: substitution, adjacent swap, deletion, insertion
    (only those of 9 characters)."""
    candidates = []
    for position in range(len(number)):
        for symbol in _SYMBOLS:
            if symbol != number[position]:
                candidates.append(number[:position] + symbol + number[position + 1 :])
    for position in range(len(number) - 1):
        swapped = (
            number[:position] + number[position + 1] + number[position] + number[position + 2 :]
        )
        if swapped != number:
            candidates.append(swapped)
    if len(number) == 10:
        candidates.extend(number[:p] + number[p + 1 :] for p in range(len(number)))
    if len(number) == 8:
        candidates.extend(number[:p] + s + number[p:] for p in range(9) for s in _SYMBOLS)
    return [candidate for candidate in candidates if len(candidate) == 9]
