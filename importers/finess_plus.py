"""The FINESS+ JSON flow (« finess-structures », ANS, 2026): parse into the same records.

Structure (schema v1): ``{"schemaVersion", "generatedAt", "gco": […], "gcc": […],
"pmej": […]}``. Each ``pmej`` item is a legal entity (EJ): ``informationsGeneralesPMEJ``
(``numFinessPm``, ``denominationPm``, ``statutJuridique``, ``siren``, ``dateCreation``…),
its ``adresse`` list, ``contact`` list, ``etatObjet`` (``A`` active / ``I`` inactive) and
the nested list ``ege`` of its establishments. Each EGE has ``informationsGeneralesEGE``
(``numFinessEge``, ``nomEgeCourt``, ``nomEgeLong``, ``dateOuverture``, ``dateFermeture``,
``siret``…), ``categorieentiteGeographiqueExercice`` (the FINESS category), ``adresse``
(``usageAdresse`` ``03`` is the establishment's own address; others are antennas or
mail addresses), ``etatObjet`` and ``dateDerniereMaj``. ``gco``/``gcc`` (groupings) are
ignored. The file (gzip or plain) is streamed with ijson, one legal entity at a time: the
national flow is far larger than the memory one import may take.

Coordinates are **mislabelled** and the labelling changed between releases (ANS issue 24):
in the August 2026 extract ``coordonneeX``/``coordonneeY`` hold longitude/latitude and
``directionLatitude``/``directionLongitude`` hold the Lambert-93 northing/easting; in
other releases the projected pair sits in ``coordonneeX``/``coordonneeY``. We never trust
the names: a value within ±180 is degrees, anything larger is projected metres. The degree
pair is used when present, in the order that falls inside the establishment's department
(rough box); otherwise the projected pair is reprojected from the department's CRS, again
in the order that falls inside. A BAN key that is only a commune code means a commune
centroid (approximate).

FINESS+ carries each establishment's state, so inactive EGE are imported closed and the
load closes nothing by absence (samples are partial by legal entity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import date
from typing import IO, Any

import ijson

from importers.categories import category
from importers.coordinates import Reprojector, is_degrees
from importers.errors import ImportRefused, RowError, Severity
from importers.finess_records import (
    FINESS_NUMBER,
    EstablishmentRecord,
    Extract,
    OrganisationRecord,
)
from importers.geography import DEPARTMENTS, department_of_commune
from importers.legal_status import KNOWN_LABELS, legal_sector

FINESS_PLUS_FORMAT = "finess_plus_json"
OWN_ADDRESS = "03"
BOX_TOLERANCE = 0.3
_COORDINATE_KEYS = ("coordonneeX", "coordonneeY", "directionLatitude", "directionLongitude")

Progress = Callable[[int], None]


def _date(value: Any) -> date | None:
    """``2021-10-18`` or ``2021-10-18 00:00:00`` → date; anything else → None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _department(address: dict[str, Any] | None, finess: str) -> str | None:
    """INSEE department from the commune code, else the postcode, else the FINESS prefix."""
    if address:
        if address.get("cogCommune"):
            found = department_of_commune(str(address["cogCommune"]))
            if found:
                return found
        postcode = str(address.get("codePostal") or "")
        if len(postcode) == 5 and postcode.isdigit():
            if postcode.startswith(("97", "98")):
                return postcode[:3] if postcode[:3] in DEPARTMENTS else None
            if postcode.startswith("20"):
                return "2A" if postcode < "20200" else "2B"
            return postcode[:2] if postcode[:2] in DEPARTMENTS else None
    prefix = finess[:2]
    return prefix if prefix in DEPARTMENTS else None


def _street(address: dict[str, Any]) -> str | None:
    parts = [
        " ".join(
            str(address[key])
            for key in ("numeroVoie", "typeVoie", "libelleVoie")
            if address.get(key)
        ),
        address.get("complementPointGeographique") or "",
        address.get("lieuDit") or "",
    ]
    return _text(", ".join(part for part in parts if part)) or _text(address.get("ligneQuatre"))


def _phone(contacts: list[dict[str, Any]]) -> str | None:
    for contact in contacts or []:
        phone = (contact.get("telecom") or {}).get("telephone")
        if phone:
            return _text(phone)
    return None


def _pick_address(addresses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The establishment's own address (usage 03), else the first one."""
    for address in addresses or []:
        if address.get("usageAdresse") == OWN_ADDRESS:
            return address
    return addresses[0] if addresses else None


def locate(
    geo: dict[str, Any] | None, department: str, reprojector: Reprojector
) -> tuple[float, float, str, int, bool] | None:
    """(latitude, longitude, source text, EPSG, approximate) from a mislabelled block.

    See the module docstring: values are classified by range, and the order is the one
    that falls in the department's box.
    """
    if not geo:
        return None
    values = {key: _float(geo.get(key)) for key in _COORDINATE_KEYS}
    box = DEPARTMENTS[department]
    key = geo.get("cleInInteropBAN")
    approximate = isinstance(key, str) and "_" not in key
    score = geo.get("scoreBAN")
    for first, second, labelled_lon_first in (
        ("coordonneeX", "coordonneeY", True),
        ("directionLatitude", "directionLongitude", False),
    ):
        a, b = values[first], values[second]
        if a is None or b is None or not (is_degrees(a) and is_degrees(b)):
            continue
        orders = [(b, a), (a, b)] if labelled_lon_first else [(a, b), (b, a)]
        for latitude, longitude in orders:
            if box.contains(latitude, longitude, BOX_TOLERANCE):
                source = f"FINESS+ BAN score {score} (WGS84 lu dans {first}/{second})"
                return round(latitude, 6), round(longitude, 6), source, 4326, approximate
    transformer = reprojector.transformer(box.epsg)
    for first, second in (
        ("coordonneeX", "coordonneeY"),
        ("directionLongitude", "directionLatitude"),
    ):
        a, b = values[first], values[second]
        if a is None or b is None or is_degrees(a) or is_degrees(b):
            continue
        for x, y in ((a, b), (b, a)):
            longitude, latitude = transformer.transform(x, y)
            if box.contains(latitude, longitude, BOX_TOLERANCE):
                source = f"FINESS+ BAN score {score} (EPSG:{box.epsg} lu dans {first}/{second})"
                return round(latitude, 6), round(longitude, 6), source, box.epsg, approximate
    return None


def _organisation(info: dict[str, Any], pmej: dict[str, Any], finess_ej: str) -> OrganisationRecord:
    address = _pick_address(pmej.get("adresse") or [])
    status = _text(info.get("statutJuridique"))
    siren = _text(info.get("siren"))
    street = _street(address) if address else None
    town = (
        _text(f"{address.get('codePostal') or ''} {address.get('ligneAcheminement') or ''}")
        if address
        else None
    )
    return OrganisationRecord(
        finess_ej=finess_ej,
        name=_text(info.get("denominationPm")),
        long_name=_text(info.get("denominationLonguePmSmsse")),
        legal_status_code=status,
        legal_status_label=KNOWN_LABELS.get(status or ""),
        legal_sector=legal_sector(status),
        siren=siren if siren and len(siren) == 9 and siren.isdigit() else None,
        department=_department(address, finess_ej),
        address=_text(", ".join(part for part in (street, town) if part)),
        phone=_phone(pmej.get("contact") or []),
        created_on=_date(info.get("dateCreation")),
    )


class _DigestReader:
    """A binary stream that hashes what it reads, reports progress and drops a UTF-8 BOM."""

    def __init__(self, handle: IO[bytes], progress: Progress | None) -> None:
        self.handle = handle
        self.progress = progress
        self.digest = hashlib.sha256()
        self.started = False

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        if self.progress is not None and chunk:
            self.progress(len(chunk))
        if not self.started and chunk:
            self.started = True
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
        return chunk


def _legal_entities(reader: _DigestReader, head: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each item of the top-level ``pmej`` array, built one at a time; ``head`` receives
    ``generatedAt`` and whether a ``pmej`` array was seen."""
    builder: ijson.ObjectBuilder | None = None
    for prefix, event, value in ijson.parse(reader, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == "pmej.item" and event == "end_map":
                yield builder.value
                builder = None
        elif prefix == "pmej.item" and event == "start_map":
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
        elif prefix == "pmej" and event == "start_array":
            head["pmej"] = True
        elif prefix == "generatedAt" and event == "string":
            head["generatedAt"] = value


def parse_finess_plus(
    handle: IO[bytes], file_name: str, progress: Progress | None = None
) -> Extract:
    """Parse and validate a FINESS+ « structures » JSON stream (pure: no database)."""
    reader = _DigestReader(handle, progress)
    head: dict[str, Any] = {}
    extract = Extract(
        file_name=file_name, file_sha256="", file_format=FINESS_PLUS_FORMAT, extract_date=None
    )
    try:
        _read_entities(extract, _legal_entities(reader, head), file_name)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{file_name} : JSON illisible ({exc}).") from exc
    if not head.get("pmej"):
        raise ImportRefused(
            f"{file_name} : ce fichier n'est pas un flux FINESS+ « structures » : la clé "
            "« pmej » (entités juridiques) est absente."
        )
    extract.extract_date = _date(head.get("generatedAt"))
    extract.file_sha256 = reader.digest.hexdigest()
    return extract


def _read_entities(extract: Extract, entities: Iterator[dict[str, Any]], file_name: str) -> None:
    """Validate each legal entity and its establishments into ``extract``."""
    reprojector = Reprojector()

    def error(path: str, expected: str, found: Any, severity: Severity = "error") -> None:
        extract.errors.append(
            RowError(file_name, 0, path, expected, None if found is None else str(found), severity)
        )

    for i, pmej in enumerate(entities):
        info = pmej.get("informationsGeneralesPMEJ") or {}
        finess_ej = str(info.get("numFinessPm") or "").strip().upper()
        if not FINESS_NUMBER.match(finess_ej):
            error(
                f"pmej[{i}].numFinessPm",
                "un numéro FINESS de 9 caractères",
                info.get("numFinessPm"),
            )
            continue
        extract.organisations[finess_ej] = _organisation(info, pmej, finess_ej)
        for j, ege in enumerate(pmej.get("ege") or []):
            path = f"pmej[{i}].ege[{j}]"
            general = ege.get("informationsGeneralesEGE") or {}
            finess_et = str(general.get("numFinessEge") or "").strip().upper()
            if not FINESS_NUMBER.match(finess_et):
                error(
                    f"{path}.numFinessEge",
                    "un numéro FINESS de 9 caractères",
                    general.get("numFinessEge"),
                )
                continue
            if finess_et in extract.records:
                error(f"{path}.numFinessEge", "un numéro FINESS unique", finess_et)
                extract.rejected_finess.add(finess_et)
                continue
            address = _pick_address(ege.get("adresse") or [])
            department = _department(address, finess_et)
            if department is None:
                error(f"{path}.adresse", "une commune ou un code postal français", None)
                extract.rejected_finess.add(finess_et)
                continue
            code = _text(ege.get("categorieentiteGeographiqueExercice"))
            known = category(code)
            if code and known is None:
                error(
                    f"{path}.categorieentiteGeographiqueExercice",
                    "une catégorie de la nomenclature FINESS",
                    code,
                    "warning",
                )
            position = locate(
                address.get("coordonneesGeographique") if address else None,
                department,
                reprojector,
            )
            if address and address.get("coordonneesGeographique") and position is None:
                error(
                    f"{path}.adresse.coordonneesGeographique",
                    f"des coordonnées dans le département {department}",
                    None,
                    "warning",
                )
            closed_on = _date(general.get("dateFermeture"))
            is_open = ege.get("etatObjet") == "A" and closed_on is None
            siret = _text(general.get("siret"))
            extract.records[finess_et] = EstablishmentRecord(
                finess_et=finess_et,
                finess_ej=finess_ej,
                short_name=_text(general.get("nomEgeCourt"))
                or _text(general.get("nomEgeLong"))
                or finess_et,
                long_name=_text(general.get("nomEgeLong")),
                address=_street(address) if address else None,
                postcode=_text(address.get("codePostal")) if address else None,
                commune=_text(address.get("ligneAcheminement")) if address else None,
                commune_code=_text(address.get("cogCommune")) if address else None,
                department=department,
                region=DEPARTMENTS[department].region_code,
                phone=_phone(ege.get("contact") or []),
                siret=siret if siret and len(siret) == 14 and siret.isdigit() else None,
                category_code=code,
                category_label=known.label if known else None,
                aggregate_code=known.aggregate_code if known else None,
                aggregate_label=known.aggregate_label if known else None,
                champ=known.champ if known and known.is_essms else None,
                is_essms=bool(known and known.is_essms),
                latitude=position[0] if position else None,
                longitude=position[1] if position else None,
                coord_source=position[2] if position else None,
                coord_epsg=position[3] if position else None,
                coord_approximate=position[4] if position else False,
                opened_on=_date(general.get("dateOuverture")),
                authorised_on=_date(general.get("datePremiereAutorisation")),
                finess_updated_on=_date(ege.get("dateDerniereMaj")),
                is_open=is_open,
                closed_on=None if is_open else (closed_on or _date(ege.get("dateDerniereMaj"))),
            )
            extract.departments.add(department)
    extract.lines = len(extract.records)
