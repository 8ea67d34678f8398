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

A value present but unreadable (a date, a SIRET, a category, a state, a commune code, a
position) is reported as a warning with its JSON path and never empties the stored value:
the establishment keeps what the database holds for that field (``Extract.kept``).

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
from importers.finess_lines import GZIP_ERRORS, gzip_refused
from importers.finess_records import (
    CATEGORY_FIELDS,
    FINESS_NUMBER,
    POSITION_FIELDS,
    STATE_FIELDS,
    EstablishmentRecord,
    Extract,
    OrganisationRecord,
)
from importers.geography import (
    DEPARTMENTS,
    UnknownDepartment,
    department_of_commune,
    territory,
)
from importers.legal_status import KNOWN_LABELS, legal_sector

FINESS_PLUS_FORMAT = "finess_plus_json"
OWN_ADDRESS = "03"
BOX_TOLERANCE = 0.3
_COORDINATE_KEYS = ("coordonneeX", "coordonneeY", "directionLatitude", "directionLongitude")

Progress = Callable[[int], None]
#: Organisation field -> (JSON path under the pmej, what was expected), for the warnings.
_ORGANISATION_KEYS = {
    "siren": ("informationsGeneralesPMEJ.siren", "un SIREN de 9 chiffres"),
    "created_on": ("informationsGeneralesPMEJ.dateCreation", "une date AAAA-MM-JJ"),
    "department": ("adresse.cogCommune", "une commune ou un code postal français"),
}


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
    """The territory by the importers' one rule (``geography.territory``: commune code,
    then postcode), else the FINESS number's prefix."""
    if address:
        commune = str(address.get("cogCommune") or "")
        postcode = str(address.get("codePostal") or "")
        try:
            return territory(commune, postcode)
        except UnknownDepartment:
            pass
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


def _organisation(
    info: dict[str, Any], pmej: dict[str, Any], finess_ej: str, kept: set[str]
) -> OrganisationRecord:
    """The legal entity; ``kept`` receives the fields present but unreadable."""
    address = _pick_address(pmej.get("adresse") or [])
    status = _text(info.get("statutJuridique"))
    siren = _text(info.get("siren"))
    if siren and not (len(siren) == 9 and siren.isdigit()):
        kept.add("siren")
    if info.get("dateCreation") and _date(info.get("dateCreation")) is None:
        kept.add("created_on")
    department = _department(address, finess_ej)
    commune = str(address.get("cogCommune") or "") if address else ""
    if address and (
        (commune and department_of_commune(commune) is None)
        or (address.get("codePostal") and _department(address, "") is None)
    ):
        kept.add("department")
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
        department=department,
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
        #: Bytes read so far (decompressed when the file is gzip).
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.size += len(chunk)
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


def _how_far(extract: Extract) -> str:
    """How far a broken file was read, in French."""
    return (
        f"{len(extract.organisations)} entité(s) juridique(s) et {len(extract.records)} "
        "établissement(s) lus"
    )


def parse_finess_plus(
    handle: IO[bytes], file_name: str, progress: Progress | None = None, size: int = 0
) -> Extract:
    """Parse and validate a FINESS+ « structures » JSON stream (pure: no database).
    ``size`` (the file's size on disk) is only used to say how far a broken file was read."""
    reader = _DigestReader(handle, progress)
    head: dict[str, Any] = {}
    extract = Extract(
        file_name=file_name, file_sha256="", file_format=FINESS_PLUS_FORMAT, extract_date=None
    )
    try:
        _read_entities(extract, _legal_entities(reader, head), file_name)
    except GZIP_ERRORS as exc:
        raise gzip_refused(file_name, size, reader.size, _how_far(extract)) from exc
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        # The parser's own message is English: say in French where and what.
        what = (
            "le texte s'arrête avant la fin du document (fichier tronqué ?)"
            if isinstance(exc, ijson.IncompleteJSONError)
            else "le texte n'est pas du JSON valide à cet endroit"
        )
        raise ImportRefused(
            f"{file_name} : JSON illisible après {reader.size} octets lus ({_how_far(extract)}) "
            f": {what}. Rien n'a été importé."
        ) from exc
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
        kept: set[str] = set()
        extract.organisations[finess_ej] = _organisation(info, pmej, finess_ej, kept)
        for name in sorted(kept):
            key, expected = _ORGANISATION_KEYS[name]
            error(f"pmej[{i}].{key}", expected, f"{finess_ej} : valeur enregistrée conservée",
                  "warning")  # fmt: skip
        if kept:
            extract.kept_organisations[finess_ej] = kept
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

            def damaged(key: str, expected: str, names: tuple[str, ...]) -> None:
                """A present but unreadable value: reported, and the stored one kept."""
                kept = f"{finess_et} : valeur enregistrée conservée"  # noqa: B023
                error(f"{path}.{key}", expected, kept, "warning")  # noqa: B023
                extract.keep(finess_et, names)  # noqa: B023

            def read_date(holder: dict[str, Any], key: str, names: tuple[str, ...]) -> date | None:
                value = holder.get(key)
                found = _date(value)
                if found is None and value not in (None, ""):
                    where = "" if holder is ege else "informationsGeneralesEGE."  # noqa: B023
                    damaged(where + key, "une date AAAA-MM-JJ", names)
                return found

            code = _text(ege.get("categorieentiteGeographiqueExercice"))
            known = category(code)
            if code and known is None:
                damaged(
                    "categorieentiteGeographiqueExercice",
                    "une catégorie de la nomenclature FINESS",
                    CATEGORY_FIELDS,
                )
            commune_code = _text(address.get("cogCommune")) if address else None
            if commune_code and department_of_commune(commune_code) is None:
                damaged("adresse.cogCommune", "un code commune INSEE", ("commune_code",))
            geo = address.get("coordonneesGeographique") if address else None
            unreadable = next(
                (
                    key
                    for key in _COORDINATE_KEYS
                    if geo and geo.get(key) not in (None, "") and _float(geo.get(key)) is None
                ),
                None,
            )
            position = None if unreadable else locate(geo, department, reprojector)
            if unreadable:
                damaged(
                    f"adresse.coordonneesGeographique.{unreadable}", "un nombre", POSITION_FIELDS
                )
            elif geo and position is None:
                damaged(
                    "adresse.coordonneesGeographique",
                    f"des coordonnées dans le département {department}",
                    POSITION_FIELDS,
                )
            elif position is None:
                extract.keep(finess_et, POSITION_FIELDS)  # no position given: keep the stored one
            closed_on = read_date(general, "dateFermeture", STATE_FIELDS)
            state = ege.get("etatObjet")
            if state not in ("A", "I"):
                damaged("etatObjet", "« A » (actif) ou « I » (inactif)", STATE_FIELDS)
            is_open = state == "A" and closed_on is None
            siret = _text(general.get("siret"))
            if siret and not (len(siret) == 14 and siret.isdigit()):
                damaged("informationsGeneralesEGE.siret", "un SIRET de 14 chiffres", ("siret",))
            opened_on = read_date(general, "dateOuverture", ("opened_on",))
            authorised_on = read_date(general, "datePremiereAutorisation", ("authorised_on",))
            updated_on = read_date(ege, "dateDerniereMaj", ("finess_updated_on",))
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
                commune_code=commune_code,
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
                opened_on=opened_on,
                authorised_on=authorised_on,
                finess_updated_on=updated_on,
                is_open=is_open,
                closed_on=None if is_open else (closed_on or updated_on),
            )
            extract.departments.add(department)
    extract.lines = len(extract.records)
