"""Tolerant readers of the values people type in spreadsheets.

Each parser takes a raw cell (text, or the number/date Excel turned it into) and returns
the canonical value, or raises ``ValueProblem`` saying what was expected in French. They
accept any case, with or without accents, with stray spaces and punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

#: A cell as the readers hand it over.
Cell = str | int | float | date | datetime | bool | None

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_FINESS = re.compile(r"^(?:\d{9}|2[AB]\d{7})$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_SIMPLE_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    rf"@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"
)
_DEPARTMENT = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-8]|98[4-9])$")

#: Words read as yes / no (folded).
YES = frozenset({"oui", "o", "yes", "y", "vrai", "true", "1", "x", "ok"})
NO = frozenset({"non", "n", "no", "faux", "false", "0", "aucun", "sans"})


class ValueProblem(ValueError):
    """A cell that cannot be read: ``expected`` says what would have been accepted."""

    def __init__(self, expected: str, hint: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.hint = hint


def strip_accents(text: str) -> str:
    """``Référencé Ségur`` → ``Reference Segur`` (compatibility decomposition, marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lowercase, accents stripped, every run of other characters as one space."""
    return _NON_ALNUM.sub(" ", strip_accents(text).lower()).strip()


def fold_key(text: str) -> str:
    """``fold`` with underscores: ``N° FINESS`` → ``n_finess``; used for headers and codes."""
    return fold(text).replace(" ", "_")


def cell_text(value: Cell) -> str:
    """A cell as the text a person sees: integral floats lose their ``.0``, dates are ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_finess(value: Cell) -> str:
    """A 9-character FINESS number; restores the leading zero Excel drops (8 digits).

    Spaces, dots and dashes inside are ignored; ``2a`` is read as ``2A``.
    """
    text = re.sub(r"[\s.\-_/]", "", cell_text(value)).upper()
    if text.isdigit() and len(text) == 8:
        text = "0" + text
    if not _FINESS.match(text):
        raise ValueProblem("un numéro FINESS de 9 caractères (chiffres, ou 2A/2B en Corse)")
    return text


def parse_department(value: Cell) -> str | None:
    """An INSEE department code (``01``, ``2A``, ``974``); ``1`` is read as ``01``."""
    text = cell_text(value).upper().replace(" ", "")
    if not text:
        return None
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    if not _DEPARTMENT.match(text):
        raise ValueProblem("un code de département (01 à 95, 2A, 2B, 971 à 976)")
    return text


def parse_yes_no(value: Cell) -> bool | None:
    """``oui``/``non`` in any case (also ``O``, ``N``, ``x``, ``vrai``…); blank is unknown."""
    if isinstance(value, bool):
        return value
    folded = fold(cell_text(value))
    if not folded:
        return None
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueProblem("oui ou non")


def choice_parser(
    canonical: Iterable[str], aliases: Mapping[str, Iterable[str]] | None = None
) -> ChoiceParser:
    """A parser of one enumeration; see ``ChoiceParser``."""
    return ChoiceParser(tuple(canonical), aliases or {})


class ChoiceParser:
    """Reads one value of an enumeration from its canonical spelling or a known synonym.

    Matching is on the folded text, so ``Référencé Ségur``, ``REFERENCE_SEGUR`` and
    ``reference segur`` are one value. The error lists the canonical values.
    """

    def __init__(self, canonical: tuple[str, ...], aliases: Mapping[str, Iterable[str]]) -> None:
        self.canonical = canonical
        self._lookup: dict[str, str] = {fold(value): value for value in canonical}
        self._seen: dict[str, str] = {}
        for value, synonyms in aliases.items():
            for synonym in synonyms:
                self._lookup[fold(synonym)] = value

    @property
    def expected(self) -> str:
        return "une valeur parmi : " + ", ".join(self.canonical)

    def __call__(self, value: Cell) -> str | None:
        text = cell_text(value)
        if not text:
            return None
        if text in self._seen:
            return self._seen[text]
        try:
            self._seen[text] = found = self._lookup[fold(text)]
        except KeyError:
            raise ValueProblem(self.expected) from None
        return found


def parse_email(value: Cell) -> str | None:
    """A syntactically valid e-mail address (no DNS look-up), domain lowercased; blank is
    none. Common addresses are checked by a strict pattern; others (accents, quoted local
    parts) by ``email_validator``."""
    text = cell_text(value)
    if not text:
        return None
    if _SIMPLE_EMAIL.match(text):
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueProblem("une adresse e-mail valide (nom@domaine.fr)") from None


def parse_year(value: Cell) -> int | None:
    """A year between 2000 and 2100 (``2023``, ``2023.0`` from Excel, or a date)."""
    if isinstance(value, date | datetime):
        return value.year
    text = cell_text(value)
    if not text:
        return None
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    raise ValueProblem("une année sur 4 chiffres (par exemple 2024)")


def optional_text(value: Cell, max_length: int) -> str | None:
    """Free text, trimmed; blank is none; longer than ``max_length`` is an error."""
    text = cell_text(value)
    if not text:
        return None
    if len(text) > max_length:
        raise ValueProblem(f"un texte d'au plus {max_length} caractères")
    return text


def is_blank(values: Iterable[Any]) -> bool:
    """True when every cell of a row is empty or whitespace."""
    return all(cell_text(value) == "" for value in values)
