"""The legal-entity extract (cs1100501, ``structureej`` lines): names, status, SIREN.

Field order from the ministry's data sheet (``docs/etalab_cs1100501.pdf``), after the tag:
1 nofiness · 2 rs · 3 rslongue · 4 complrs · 5 numvoie · 6 typvoie · 7 voie · 8 compvoie ·
9 compldistrib · 10 lieuditbp · 11 commune · 12 ligneacheminement · 13 departement ·
14 libdepartement · 15 telephone · 16 statutjuridique · 17 libstatutjuridique ·
18 categetab · 19 libcategetab · 20 siren · 21 codeape · 22 datecrea. No real line was
available to check it (see the shared README).
"""

from __future__ import annotations

import hashlib
from typing import IO

from importers.errors import ImportRefused, RowError
from importers.finess_lines import (
    BadValue,
    DateReader,
    Progress,
    check_metadata,
    clean,
    finess_number,
    read_lines,
    split_delivery_line,
    split_fields,
    street_address,
)
from importers.finess_records import OrganisationRecord
from importers.geography import UnknownDepartment, insee_department, territory
from importers.legal_status import KNOWN_LABELS, legal_sector

#: ``structureej``: the tag and 22 fields, possibly followed by an empty one.
STRUCTUREEJ_FIELDS = (23, 24)


def ej_territory(commune: str, delivery_line: str, finess_department: str) -> str:
    """The territory of a legal entity by the importers' one rule (``geography.territory``):
    commune code (``9A`` + ``127`` → 97127 → 978), then postcode, then ``departement``."""
    insee = insee_department(finess_department)
    commune = commune.strip()
    commune_code = (insee[:2] + commune) if len(commune) == 3 else None
    postcode, _town = split_delivery_line(delivery_line)
    return territory(commune_code, postcode, finess_department)


def parse_ej(
    handle: IO[bytes],
    file_name: str,
    progress: Progress | None = None,
    kept: dict[str, set[str]] | None = None,
) -> tuple[dict[str, OrganisationRecord], list[RowError], str]:
    """Parse a cs1100501 stream: (organisations by FINESS EJ, errors, sha256).

    A present but unreadable SIREN or department is a warning, and its FINESS EJ is added
    to ``kept`` with that field: the stored value is kept (never emptied).
    """
    kept = {} if kept is None else kept
    digest = hashlib.sha256()
    read_date = DateReader()
    lines = read_lines(handle, digest, progress)
    check_metadata(next(lines, None), file_name, read_date)
    organisations: dict[str, OrganisationRecord] = {}
    errors: list[RowError] = []
    for line in lines:
        if not line.text.strip():
            continue
        kind = line.text.split(";", 1)[0].strip().lower()
        if kind == "structureet":
            raise ImportRefused(
                f"{file_name} : ce fichier décrit des établissements (structureet), pas des "
                "entités juridiques : l'option --ej attend l'extrait cs1100501."
            )
        if kind != "structureej":
            continue
        fields = split_fields(line.text)
        if len(fields) not in STRUCTUREEJ_FIELDS:
            errors.append(
                RowError(
                    file_name,
                    line.number,
                    None,
                    f"{STRUCTUREEJ_FIELDS[0]} champs (ligne structureej)",
                    f"{len(fields)} champs",
                )
            )
            continue
        try:
            finess_ej = finess_number(fields[1])
        except BadValue as exc:
            errors.append(RowError(file_name, line.number, "nofiness", exc.expected, fields[1]))
            continue
        try:
            created_on = read_date(fields[22])
        except BadValue as exc:
            errors.append(RowError(file_name, line.number, "datecrea", exc.expected, fields[22]))
            continue
        status = fields[16].strip() or None
        try:
            department: str | None = ej_territory(fields[11], fields[12], fields[13])
        except UnknownDepartment:
            department = None
            if fields[13].strip():
                errors.append(
                    RowError(
                        file_name,
                        line.number,
                        "departement",
                        "un code département FINESS",
                        fields[13],
                        "warning",
                        "valeur enregistrée conservée",
                    )
                )
                kept.setdefault(finess_ej, set()).add("department")
        siren = fields[20].strip()
        if siren and not (len(siren) == 9 and siren.isdigit()):
            errors.append(
                RowError(
                    file_name,
                    line.number,
                    "siren",
                    "un SIREN de 9 chiffres",
                    siren,
                    "warning",
                    "valeur enregistrée conservée",
                )
            )
            kept.setdefault(finess_ej, set()).add("siren")
        organisations[finess_ej] = OrganisationRecord(
            finess_ej=finess_ej,
            name=clean(fields[2]),
            long_name=clean(fields[3]),
            legal_status_code=status,
            legal_status_label=clean(fields[17]) or KNOWN_LABELS.get(status or ""),
            legal_sector=legal_sector(status),
            siren=siren if len(siren) == 9 and siren.isdigit() else None,
            department=department,
            address=clean(
                ", ".join(
                    part
                    for part in (
                        street_address(fields[5], fields[6], fields[7], fields[8], fields[10])
                        or "",
                        fields[12],
                    )
                    if part.strip()
                )
            ),
            phone=clean(fields[15]),
            created_on=created_on,
        )
    return organisations, errors, digest.hexdigest()
