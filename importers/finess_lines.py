"""Reading legacy FINESS text files: bytes → decoded lines → fields → typed values.

Shared by the establishment (cs1100507/cs1100502) and legal-entity (cs1100501) parsers:
UTF-8 strictly then Windows-1252, BOM tolerated, gzip transparent, quoted fields with
doubled quotes, dates ``YYYY-MM-DD`` or ``DD/MM/YYYY``, and the ``finess;etalab;…``
metadata line that every extract starts with.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, cast

from importers.errors import ImportRefused
from importers.finess_records import FINESS_NUMBER

METADATA_PREFIX = "finess;etalab"
PROGRESS_EVERY = 2000
_CEDEX = re.compile(r"\s+CEDEX(?:\s+\d+)?$")

#: Called with the number of bytes read since the last call.
Progress = Callable[[int], None]


class BadValue(ValueError):
    """A field that cannot be read; ``expected`` is French, for the RowError."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


# --------------------------------------------------------------------------- values


class DateReader:
    """Dates as ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (cached: extracts repeat dates a lot)."""

    def __init__(self) -> None:
        self._cache: dict[str, date | None] = {"": None}

    def __call__(self, text: str) -> date | None:
        try:
            return self._cache[text]
        except KeyError:
            pass
        value = self._parse(text.strip())
        self._cache[text] = value
        return value

    @staticmethod
    def _parse(text: str) -> date | None:
        if not text:
            return None
        try:
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                return date.fromisoformat(text)
            if len(text) == 10 and text[2] == "/" and text[5] == "/":
                return date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            pass
        raise BadValue("une date AAAA-MM-JJ ou JJ/MM/AAAA")


def clean(text: str) -> str | None:
    """A field with its runs of spaces collapsed; None when empty."""
    return " ".join(text.split()) or None


def finess_number(text: str) -> str:
    """A FINESS number (9 characters, 2A/2B in Corsica) or ``BadValue``."""
    text = text.strip().upper()
    if not FINESS_NUMBER.match(text):
        raise BadValue("un numéro FINESS de 9 caractères")
    return text


def split_delivery_line(text: str) -> tuple[str | None, str | None]:
    """``01440 VIRIAT`` → (``01440``, ``VIRIAT``); ``CEDEX`` and its number dropped."""
    text = " ".join(text.split())
    postcode = None
    if len(text) >= 5 and text[:5].isdigit():
        postcode, text = text[:5], text[5:].lstrip()
    if "CEDEX" in text:
        text = _CEDEX.sub("", text)
    return postcode, text or None


def street_address(
    number: str, street_type: str, street: str, suffix: str, locality: str
) -> str | None:
    """``900 RTE DE PARIS``; the lieu-dit/BP appended after a comma."""
    head = " ".join(f"{number}{suffix} {street_type} {street}".split())
    locality = " ".join(locality.split())
    if head and locality:
        return f"{head}, {locality}"
    return head or locality or None


# --------------------------------------------------------------------------- reading


#: What a truncated or corrupt gzip file raises while it is read.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _count(number: int) -> str:
    """``1234567`` → ``1 234 567`` (narrow no-break spaces, as French writes numbers)."""
    return f"{number:,}".replace(",", "\u202f")


def gzip_refused(file_name: str, size: int, read: int, where: str) -> ImportRefused:
    """The French refusal of a truncated or corrupt gzip file: how far it could be read."""
    return ImportRefused(
        f"{file_name} : le fichier compressé (gzip) est tronqué ou abîmé : la lecture s'est "
        f"arrêtée après {_count(read)} octets décompressés ({where}), sur un fichier de "
        f"{_count(size)} octets compressés. Rien n'a été importé : téléchargez de nouveau le "
        "fichier complet."
    )


def open_binary(path: Path) -> IO[bytes]:
    """The file as bytes, gunzipped when it is gzip (by its magic number)."""
    handle = path.open("rb")
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        handle.close()
        return cast(IO[bytes], gzip.open(path, "rb"))
    return handle


class LineDecoder:
    """UTF-8 strictly, then Windows-1252 for good from the first non-UTF-8 line.

    A cp1252 file is told from a UTF-8 one by its first accented character: a French
    accented letter in cp1252 is never valid UTF-8. Bytes undefined in cp1252 fall back to
    Latin-1.
    """

    def __init__(self) -> None:
        self.encoding = "utf-8"

    def __call__(self, raw: bytes) -> str:
        if self.encoding == "utf-8":
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                self.encoding = "cp1252"
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def split_fields(line: str) -> list[str]:
    """``;``-separated fields; quoted fields with doubled quotes when the line has quotes."""
    if '"' not in line:
        return line.split(";")
    return next(csv.reader([line], delimiter=";", quotechar='"', doublequote=True))


@dataclass
class RawLine:
    number: int
    text: str
    complete: bool


def read_lines(
    handle: IO[bytes], digest: hashlib._Hash, progress: Progress | None
) -> Iterator[RawLine]:
    """Decoded lines (1-based numbers), hashing the bytes and reporting progress."""
    decode = LineDecoder()
    pending = 0
    for number, raw in enumerate(handle, start=1):
        digest.update(raw)
        pending += len(raw)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(pending)
            pending = 0
        complete = raw.endswith(b"\n")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield RawLine(number, decode(raw).rstrip("\r\n"), complete)
    if progress is not None and pending:
        progress(pending)


def check_metadata(line: RawLine | None, file_name: str, read_date: DateReader) -> date | None:
    """Refuse a file whose first line is not ``finess;etalab;…``; return the extract date."""
    first = line.text.strip() if line is not None else ""
    if not first.lower().startswith(METADATA_PREFIX):
        shown = first[:60] or "(fichier vide)"
        raise ImportRefused(
            f"{file_name} : ce fichier n'est pas un extrait FINESS : la première ligne doit "
            f"commencer par « finess;etalab; » (extrait data.gouv.fr), elle commence par "
            f"« {shown} »."
        )
    fields = first.split(";")
    try:
        return read_date(fields[3]) if len(fields) > 3 else None
    except BadValue:
        return None
