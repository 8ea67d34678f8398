"""What a FINESS file holds once parsed: establishment and organisation records, the extract.

Pure: the parsers (``finess_lines``, ``finess_plus``, ``finess_ej``, ``finess``) build these,
``finess_load`` writes them to the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import date
from operator import attrgetter

from importers.categories import category
from importers.errors import RowError

#: A FINESS number: 9 digits, or 2A/2B and 7 digits in Corsica.
FINESS_NUMBER = re.compile(r"^(?:\d{9}|2[AB]\d{7})$")


#: Fields read from one part of a file, kept together when that part is rejected or missing.
POSITION_FIELDS: tuple[str, ...] = (
    "latitude", "longitude", "coord_source", "coord_epsg", "coord_approximate",
)  # fmt: skip
CATEGORY_FIELDS: tuple[str, ...] = (
    "category_code", "category_label", "aggregate_code", "aggregate_label", "champ", "is_essms",
)  # fmt: skip
STATE_FIELDS: tuple[str, ...] = ("is_open", "closed_on")


@dataclass(slots=True)
class EstablishmentRecord:
    """One establishment as read from a FINESS file, in the model's vocabulary."""

    finess_et: str
    finess_ej: str
    short_name: str
    long_name: str | None
    address: str | None
    postcode: str | None
    commune: str | None
    commune_code: str | None
    department: str
    region: str | None
    phone: str | None
    siret: str | None
    category_code: str | None
    category_label: str | None
    aggregate_code: str | None
    aggregate_label: str | None
    champ: str | None
    is_essms: bool
    latitude: float | None
    longitude: float | None
    coord_source: str | None
    coord_epsg: int | None
    coord_approximate: bool
    opened_on: date | None
    authorised_on: date | None
    finess_updated_on: date | None
    is_open: bool = True
    closed_on: date | None = None


@dataclass(slots=True)
class OrganisationRecord:
    """One legal entity (FINESS EJ) as read from the EJ file or the FINESS+ ``pmej``."""

    finess_ej: str
    name: str | None
    long_name: str | None
    legal_status_code: str | None
    legal_status_label: str | None
    legal_sector: str | None
    siren: str | None
    department: str | None
    address: str | None
    phone: str | None
    created_on: date | None


ESTABLISHMENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(EstablishmentRecord))
ORGANISATION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(OrganisationRecord))
#: Fields of the hash: everything but the open state, compared on its own.
_HASHED = attrgetter(*[name for name in ESTABLISHMENT_FIELDS if name not in ("is_open",)])


@dataclass
class Extract:
    """A parsed and validated FINESS file, ready to load."""

    file_name: str
    file_sha256: str
    file_format: str
    extract_date: date | None
    records: dict[str, EstablishmentRecord] = field(default_factory=dict)
    organisations: dict[str, OrganisationRecord] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    #: INSEE departments present in the file: the scope of closing.
    departments: set[str] = field(default_factory=set)
    #: FINESS ET of rejected lines (when readable): never closed by this import.
    rejected_finess: set[str] = field(default_factory=set)
    #: Rejected lines whose FINESS number could not be read: nothing is closed.
    unidentified_rejects: int = 0
    #: FINESS ET -> fields whose stored values this import keeps (rejected or missing part).
    kept: dict[str, set[str]] = field(default_factory=dict)
    #: FINESS EJ -> organisation fields whose stored values this import keeps.
    kept_organisations: dict[str, set[str]] = field(default_factory=dict)
    truncated: bool = False
    #: Establishments the import did not close because there were too many (partial file).
    close_blocked: int = 0
    ej_file_name: str | None = None
    ej_file_sha256: str | None = None
    #: Lines read (all kinds), for the summary.
    lines: int = 0

    def keep(self, finess_et: str, names: tuple[str, ...]) -> None:
        """Keep the stored values of ``names`` for ``finess_et`` (see the module docstring)."""
        self.kept.setdefault(finess_et, set()).update(names)

    def flag_categories_to_confirm(self) -> None:
        """One warning naming the establishments whose category could not be decided
        ESSMS or not: they are candidates, shown « à confirmer » (``importers.categories``)."""
        codes: dict[str, int] = {}
        for record in self.records.values():
            known = category(record.category_code)
            if known is not None and known.to_confirm:
                codes[known.code] = codes.get(known.code, 0) + 1
        if codes:
            listed = ", ".join(f"{code} ({count})" for code, count in sorted(codes.items()))
            self.errors.append(
                RowError(
                    self.file_name,
                    0,
                    "categetab",
                    "une catégorie dont on sait si elle est ESSMS",
                    f"{sum(codes.values())} établissement(s) des catégories {listed}",
                    "warning",
                    "comptés comme ESSMS candidats et affichés « ESSMS à confirmer »",
                )
            )

    @property
    def rejected(self) -> list[RowError]:
        return [error for error in self.errors if error.severity == "error"]

    @property
    def warnings(self) -> list[RowError]:
        return [error for error in self.errors if error.severity == "warning"]


def content_hash(record: EstablishmentRecord) -> str:
    """A digest of every imported field (the open state excepted)."""
    text = "\x1f".join("" if value is None else str(value) for value in _HASHED(record))
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
