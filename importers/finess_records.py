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

from importers.errors import RowError

#: A FINESS number: 9 digits, or 2A/2B and 7 digits in Corsica.
FINESS_NUMBER = re.compile(r"^(?:\d{9}|2[AB]\d{7})$")


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
    truncated: bool = False
    #: Establishments the import did not close because there were too many (partial file).
    close_blocked: int = 0
    ej_file_name: str | None = None
    ej_file_sha256: str | None = None
    #: Lines read (all kinds), for the summary.
    lines: int = 0

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
