"""The public FINESS extract (legacy ``etalab-cs11005xx`` CSV files): parse, validate, load.

Files (see ``../shared/data/finess/README.md``):

- cs1100507: ``structureet`` lines, then ``geolocalisation`` lines (establishments with
  coordinates); cs1100502: ``structureet`` lines only (no coordinates);
- cs1100501 (``--ej``, read by ``importers.finess_ej``): ``structureej`` lines, the legal
  entities (EJ).

Every file starts with the metadata line ``finess;etalab;<n>;<date>``; a file that does not
is refused (``ImportRefused``) before anything is written. The file is read once, as a
stream of bytes: UTF-8 strictly, falling back to Windows-1252 from the first line that is not
UTF-8 (older extracts); a BOM is tolerated; gzip files are read transparently. Dates are
``YYYY-MM-DD`` or ``DD/MM/YYYY``. A malformed line (wrong number of fields, bad FINESS
number, bad department, unparsable date) becomes a ``RowError`` with its line number and the
rest is imported; ``strict=True`` refuses the whole file instead.

Bytes, encodings, fields and values are read by ``importers.finess_lines``. Coordinates are
reprojected to WGS84 after the pass, one vectorised batch per CRS read from
each line's source text (``importers.coordinates``).

``read_finess`` also accepts the FINESS+ JSON flow (``importers.finess_plus``), detected
from the content. Pure: ``matchmaker.imports.finess.import_finess`` loads what it reads
(``matchmaker.imports.finess_load``).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import IO

from importers import finess_plus
from importers.categories import category
from importers.coordinates import Reprojector, read_source
from importers.errors import ImportRefused, RowError, Severity
from importers.finess_ej import parse_ej
from importers.finess_lines import (
    GZIP_ERRORS,
    BadValue,
    DateReader,
    Progress,
    RawLine,
    check_metadata,
    clean,
    finess_number,
    gzip_refused,
    open_binary,
    read_lines,
    split_delivery_line,
    split_fields,
    street_address,
)
from importers.finess_records import (
    CATEGORY_FIELDS,
    FINESS_NUMBER,
    POSITION_FIELDS,
    EstablishmentRecord,
    Extract,
)
from importers.geography import DEPARTMENTS, UnknownDepartment, insee_department, territory

LEGACY_FORMAT = "legacy_csv"
#: ``structureet``: 32 fields (the last, numuai, followed by nothing); files before numuai
#: was added have 31.
STRUCTUREET_FIELDS = (31, 32)
GEOLOCALISATION_MIN_FIELDS = 6
#: Degrees of tolerance around a department's rough box before a warning.
BOX_TOLERANCE = 0.3
#: FINESS department code → the first two characters of its INSEE commune codes.
_COMMUNE_PREFIX = {
    "9A": "97",
    "9B": "97",
    "9C": "97",
    "9D": "97",
    "9E": "97",
    "9F": "97",
    "9J": "98",
}


# --------------------------------------------------------------------------- establishments


class LegacyParser:
    """One pass over a cs1100507/cs1100502 file: records, errors, then reprojection."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.read_date = DateReader()
        self.extract = Extract(
            file_name=file_name, file_sha256="", file_format=LEGACY_FORMAT, extract_date=None
        )
        self.first_line_of: dict[str, int] = {}
        self.positions: dict[str, tuple[int, int, float, float, str, bool]] = {}
        self.other_kinds: dict[str, int] = {}
        #: How far the file was read (for the refusal of a broken gzip file).
        self.lines_read = 0

    def error(
        self,
        line: int,
        column: str | None,
        expected: str,
        found: str | None = None,
        *,
        severity: Severity = "error",
        hint: str | None = None,
    ) -> None:
        self.extract.errors.append(
            RowError(self.file_name, line, column, expected, found, severity, hint)
        )

    def parse(self, handle: IO[bytes], progress: Progress | None = None) -> Extract:
        digest = hashlib.sha256()
        lines = read_lines(handle, digest, progress)
        self.extract.extract_date = check_metadata(
            next(lines, None), self.file_name, self.read_date
        )
        last: RawLine | None = None
        last_rejected = False
        for line in lines:
            last = line
            self.lines_read = line.number
            before = len(self.extract.errors)
            self.parse_line(line)
            last_rejected = any(e.severity == "error" for e in self.extract.errors[before:])
        self.extract.lines = last.number if last else 1
        if last is not None and not last.complete and last_rejected:
            self.extract.truncated = True
            self.error(
                last.number,
                None,
                "une ligne complète",
                f"{len(last.text)} caractères sans fin de ligne",
                severity="warning",
                hint="le fichier semble tronqué : aucun établissement ne sera fermé",
            )
        self.extract.file_sha256 = digest.hexdigest()
        self.place_establishments()
        for kind, count in sorted(self.other_kinds.items()):
            self.error(
                0,
                None,
                "des lignes structureet ou geolocalisation",
                f"{count} lignes « {kind} » ignorées",
                severity="warning",
            )
        return self.extract

    def parse_line(self, line: RawLine) -> None:
        text = line.text
        if not text.strip():
            return
        kind = text.split(";", 1)[0].strip().lower()
        if kind == "structureet":
            self.parse_structureet(line)
        elif kind == "geolocalisation":
            self.parse_geolocalisation(line)
        elif kind == "structureej":
            raise ImportRefused(
                f"{self.file_name} : c'est un extrait des entités juridiques (cs1100501, lignes "
                "« structureej ») : donnez-le avec --ej, à côté de l'extrait des établissements."
            )
        else:
            self.other_kinds[kind] = self.other_kinds.get(kind, 0) + 1

    def parse_structureet(self, line: RawLine) -> None:
        try:
            fields = split_fields(line.text)
        except csv.Error as exc:
            self.error(line.number, None, "des champs séparés par « ; »", str(exc))
            return
        finess_et = fields[1].strip().upper() if len(fields) > 1 else ""
        if len(fields) not in STRUCTUREET_FIELDS:
            self.reject(
                line.number,
                finess_et,
                None,
                f"{STRUCTUREET_FIELDS[-1]} champs (ligne structureet)",
                f"{len(fields)} champs",
            )
            return
        column = "nofinesset"
        try:
            finess_et = finess_number(fields[1])
            column = "nofinessej"
            finess_ej = finess_number(fields[2])
            column = "departement"
            postcode, commune = split_delivery_line(fields[15])
            try:
                finess_department = insee_department(fields[13])
            except UnknownDepartment as exc:
                raise BadValue("un code département FINESS (01…95, 2A, 2B, 9A…9J)") from exc
            commune_code = fields[12].strip()
            prefix = _COMMUNE_PREFIX.get(fields[13].strip().upper(), finess_department[:2])
            insee_commune = prefix + commune_code if len(commune_code) == 3 else None
            department = territory(insee_commune, postcode, fields[13])
            column = "dateouv"
            opened_on = self.read_date(fields[28])
            column = "dateautor"
            authorised_on = self.read_date(fields[29])
            column = "datemaj"
            updated_on = self.read_date(fields[30])
        except BadValue as exc:
            found = fields[_COLUMN_INDEX[column]].strip()
            self.reject(line.number, finess_et, column, exc.expected, found)
            return
        if finess_et in self.first_line_of:
            self.error(
                line.number,
                "nofinesset",
                "un numéro FINESS unique dans le fichier",
                f"{finess_et} (déjà ligne {self.first_line_of[finess_et]})",
            )
            return
        self.first_line_of[finess_et] = line.number
        code = fields[18].strip()
        known = category(code)
        if code and known is None:
            self.error(
                line.number,
                "categetab",
                "une catégorie de la nomenclature FINESS",
                code,
                severity="warning",
                hint="catégorie enregistrée conservée ; nouvel établissement importé comme "
                "non ESSMS",
            )
            self.extract.keep(finess_et, CATEGORY_FIELDS)
        siret = fields[22].strip()
        if siret and not (len(siret) == 14 and siret.isdigit()):
            self.error(
                line.number,
                "siret",
                "un SIRET de 14 chiffres",
                siret,
                severity="warning",
                hint="SIRET enregistré conservé",
            )
            self.extract.keep(finess_et, ("siret",))
        self.extract.records[finess_et] = EstablishmentRecord(
            finess_et=finess_et,
            finess_ej=finess_ej,
            short_name=clean(fields[3]) or clean(fields[4]) or finess_et,
            long_name=clean(fields[4]),
            address=street_address(fields[7], fields[8], fields[9], fields[10], fields[11]),
            postcode=postcode,
            commune=commune,
            commune_code=insee_commune,
            department=department,
            region=DEPARTMENTS[department].region_code,
            phone=clean(fields[16]),
            siret=siret if len(siret) == 14 and siret.isdigit() else None,
            category_code=code or None,
            category_label=known.label if known else clean(fields[19]),
            aggregate_code=(known.aggregate_code if known else None) or clean(fields[20]),
            aggregate_label=(known.aggregate_label if known else None) or clean(fields[21]),
            champ=known.champ if known and known.is_essms else None,
            is_essms=bool(known and known.is_essms),
            latitude=None,
            longitude=None,
            coord_source=None,
            coord_epsg=None,
            coord_approximate=False,
            opened_on=opened_on,
            authorised_on=authorised_on,
            finess_updated_on=updated_on,
        )
        self.extract.departments.add(department)

    def reject(
        self, line: int, finess_et: str, column: str | None, expected: str, found: str | None
    ) -> None:
        """A rejected ``structureet`` line: its establishment is neither written nor closed;
        when its number cannot be read, nothing is closed at all."""
        if FINESS_NUMBER.match(finess_et):
            self.extract.rejected_finess.add(finess_et)
            self.error(line, column, expected, found)
        else:
            self.extract.unidentified_rejects += 1
            self.error(
                line,
                column,
                expected,
                found,
                hint="numéro FINESS illisible : aucun établissement absent ne sera fermé",
            )

    def parse_geolocalisation(self, line: RawLine) -> None:
        """A position line. A rejected one changes nothing: the establishment keeps the
        position stored before (``place_establishments``)."""
        fields = line.text.split(";")
        finess_et = fields[1].strip().upper() if len(fields) > 1 else ""
        about = f"FINESS {finess_et} : " if FINESS_NUMBER.match(finess_et) else ""
        hint = "position enregistrée conservée"
        if len(fields) < GEOLOCALISATION_MIN_FIELDS:
            self.error(
                line.number,
                None,
                "au moins 6 champs (ligne geolocalisation)",
                f"{about}{len(fields)} champs",
                hint=hint,
            )
            return
        try:
            finess_et = finess_number(fields[1])
        except BadValue as exc:
            self.error(line.number, "nofinesset", exc.expected, fields[1], hint=hint)
            return
        try:
            self.read_date(fields[-1])
        except BadValue as exc:
            self.error(line.number, "datemaj", exc.expected, f"{about}{fields[-1]}", hint=hint)
            return
        x_text, y_text = fields[2].strip(), fields[3].strip()
        if not x_text and not y_text:
            return  # no coordinates: the establishment keeps the stored ones, if any
        try:
            x, y = float(x_text), float(y_text)
        except ValueError:
            self.error(
                line.number,
                "coordxet",
                "des coordonnées numériques",
                f"{about}{x_text} ; {y_text}",
                hint=hint,
            )
            return
        # 2016: the source itself was split by ';' — join every middle field back.
        source = ",".join(field.strip() for field in fields[4:-1])
        info = read_source(source)
        self.positions[finess_et] = (line.number, info.epsg or 0, x, y, source, info.approximate)

    def place_establishments(self) -> None:
        """Reproject every position (one batch per CRS) and attach it to its record."""
        reprojector = Reprojector()
        records = self.extract.records
        for finess_et, (number, epsg, x, y, _source, _approx) in self.positions.items():
            record = records.get(finess_et)
            if record is None:
                if finess_et not in self.extract.rejected_finess:
                    self.error(
                        number,
                        "nofinesset",
                        "un établissement décrit par une ligne structureet",
                        finess_et,
                        severity="warning",
                    )
                continue
            if not reprojector.knows(epsg):
                epsg = DEPARTMENTS[record.department].epsg
                self.error(
                    number,
                    "sourcecoordet",
                    "un système de coordonnées connu",
                    _source or "(vide)",
                    severity="warning",
                    hint=f"EPSG:{epsg} du département utilisé",
                )
                self.positions[finess_et] = (number, epsg, x, y, _source, _approx)
            reprojector.add(finess_et, epsg, x, y)
        for finess_et, (latitude, longitude) in reprojector.run().items():
            number, epsg, _x, _y, source, approximate = self.positions[finess_et]
            record = records[finess_et]
            department = DEPARTMENTS[record.department]
            if not department.contains(latitude, longitude, BOX_TOLERANCE):
                self.error(
                    number,
                    "coordxet",
                    f"un point dans le département {department.code}",
                    f"{latitude:.4f}, {longitude:.4f}",
                    severity="warning",
                )
            record.latitude = latitude
            record.longitude = longitude
            record.coord_source = source[:200] or None
            record.coord_epsg = epsg
            record.coord_approximate = approximate
        # A missing part never empties a stored value: an establishment this file gives no
        # good position (no line, an empty one or a rejected one) keeps its last good one.
        for finess_et, record in records.items():
            if record.latitude is None:
                self.extract.keep(finess_et, POSITION_FIELDS)


_COLUMN_INDEX = {
    "nofinesset": 1,
    "nofinessej": 2,
    "departement": 13,
    "dateouv": 28,
    "dateautor": 29,
    "datemaj": 30,
}


def parse_legacy(
    handle: IO[bytes], file_name: str, progress: Progress | None = None, size: int = 0
) -> Extract:
    """Parse and validate a cs1100507/cs1100502 stream (pure: no database). ``size`` (on
    disk) is only used to say how far a broken gzip file was read."""
    parser = LegacyParser(file_name)
    try:
        return parser.parse(handle, progress)
    except GZIP_ERRORS as exc:
        where = f"{parser.lines_read} ligne(s) complète(s) lue(s)"
        raise gzip_refused(file_name, size, handle.tell(), where) from exc


# --------------------------------------------------------------------------- orchestration


def is_json(path: Path) -> bool:
    """True when the file (gzip or plain) starts with ``{``: the FINESS+ flow."""
    with open_binary(path) as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def read_finess(
    path: Path, *, ej_path: Path | None = None, progress: Progress | None = None
) -> Extract:
    """Parse and validate a FINESS file (legacy CSV or FINESS+ JSON) and its EJ file."""
    size = path.stat().st_size
    try:
        json_flow = is_json(path)
    except GZIP_ERRORS as exc:
        raise gzip_refused(path.name, size, 0, "début du fichier illisible") from exc
    if json_flow:
        with open_binary(path) as handle:
            extract = finess_plus.parse_finess_plus(handle, path.name, progress, size)
    else:
        with open_binary(path) as handle:
            extract = parse_legacy(handle, path.name, progress, size)
    extract.flag_categories_to_confirm()
    if ej_path is not None:
        with open_binary(ej_path) as handle:
            organisations, errors, sha = parse_ej(
                handle, ej_path.name, progress, extract.kept_organisations
            )
        extract.organisations.update(organisations)
        extract.errors.extend(errors)
        extract.ej_file_name = ej_path.name
        extract.ej_file_sha256 = sha
    return extract
