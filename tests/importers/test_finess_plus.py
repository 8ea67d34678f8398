"""The FINESS+ JSON flow: the real sample, the mislabelled coordinates, the load."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from importers.finess import read_finess
from importers.geography import DEPARTMENTS
from matchmaker.imports.finess import import_finess
from matchmaker.models import Establishment, Organisation


def load_json(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def test_real_sample(plus_path: Path) -> None:
    extract = read_finess(plus_path)
    assert extract.file_format == "finess_plus_json"
    assert str(extract.extract_date) == "2026-08-13"
    assert extract.rejected == []
    assert len(extract.records) == 373
    assert len(extract.organisations) == 26
    assert Counter(r.is_open for r in extract.records.values()) == {True: 239, False: 134}
    departments = Counter(r.department for r in extract.records.values())
    assert {code for code, _ in departments.most_common(2)} == {"01", "21"}
    clinic = extract.records["010780195"]
    assert (clinic.finess_ej, clinic.category_code, clinic.department) == (
        "010000156", "365", "01",
    )  # fmt: skip
    assert clinic.is_essms is False
    orsac = extract.organisations["010783009"]
    assert (orsac.name, orsac.legal_sector, orsac.siren) == (
        "ORSAC", "prive_non_lucratif", "775544562",
    )  # fmt: skip


def test_every_located_establishment_is_in_its_department(plus_path: Path) -> None:
    records = read_finess(plus_path).records.values()
    located = [r for r in records if r.latitude is not None]
    assert len(located) == 239
    for record in located:
        assert DEPARTMENTS[record.department].contains(record.latitude, record.longitude), record


def test_both_labellings_give_the_same_position(plus_path: Path, tmp_path: Path) -> None:
    """Whatever field holds degrees or metres, the position is the same."""
    document = load_json(plus_path)
    for pmej in document["pmej"]:
        for ege in pmej["ege"]:
            for address in ege["adresse"]:
                geo = address.get("coordonneesGeographique")
                if geo:  # swap the two pairs: degrees ↔ projected metres
                    geo["coordonneeX"], geo["directionLongitude"] = (
                        geo["directionLongitude"], geo["coordonneeX"],
                    )  # fmt: skip
                    geo["coordonneeY"], geo["directionLatitude"] = (
                        geo["directionLatitude"], geo["coordonneeY"],
                    )  # fmt: skip
    swapped_path = tmp_path / "swapped.json"
    swapped_path.write_text(json.dumps(document), encoding="utf-8")
    original = read_finess(plus_path).records
    swapped = read_finess(swapped_path).records
    for key, record in original.items():
        if record.latitude is not None:
            other = swapped[key]
            assert other.latitude == pytest.approx(record.latitude, abs=1e-4)
            assert other.longitude == pytest.approx(record.longitude, abs=1e-4)


def test_only_projected_metres(plus_path: Path, tmp_path: Path) -> None:
    """Without degrees, the projected pair is reprojected from the department's CRS."""
    document = load_json(plus_path)
    for pmej in document["pmej"]:
        for ege in pmej["ege"]:
            for address in ege["adresse"]:
                geo = address.get("coordonneesGeographique")
                if not geo:
                    continue
                if abs(float(geo["coordonneeX"])) < 180:
                    geo["coordonneeX"], geo["coordonneeY"] = None, None
                else:
                    geo["directionLatitude"], geo["directionLongitude"] = None, None
    path = tmp_path / "metres.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(document, handle)
    original = read_finess(plus_path).records
    for key, record in read_finess(path).records.items():
        if original[key].latitude is not None:
            assert record.coord_epsg == 2154
            assert record.latitude == pytest.approx(original[key].latitude, abs=1e-3)


def test_load_and_reimport(db_session: Session, plus_path: Path) -> None:
    outcome = import_finess(db_session, plus_path)
    db_session.commit()
    row = outcome.finess_import
    assert row is not None and (row.created_count, row.closed_count) == (373, 0)
    closed = db_session.scalar(select(func.count()).where(Establishment.is_open.is_(False)))
    assert closed == 134
    orsac = db_session.get(Organisation, "010783009")
    assert orsac is not None and orsac.name == "ORSAC"
    open_essms = db_session.scalar(
        select(func.count()).where(
            Establishment.finess_ej == "010783009",
            Establishment.is_open.is_(True),
            Establishment.is_essms.is_(True),
        )
    )
    assert orsac.essms_count == open_essms > 0
    again = import_finess(db_session, plus_path).finess_import
    assert again is not None and (again.unchanged_count, again.updated_count) == (373, 0)


@pytest.mark.parametrize(
    "content",
    ['{"schemaVersion": "v1.0.0", "etablissements": []}', "[1, 2, 3]", "{not json"],
)
def test_other_json_is_refused(content: str, write_file: Callable[..., Path]) -> None:
    with pytest.raises(ImportRefused):
        read_finess(write_file("autre.json", content))


def test_plain_json_with_a_bom_reads_like_the_gzip_and_is_hashed_as_read(
    plus_path: Path, tmp_path: Path
) -> None:
    """The flow is streamed: a plain (uncompressed) copy with a UTF-8 BOM gives the same
    records, and the import's digest is that of the content read (decompressed)."""
    reference = read_finess(plus_path)
    plain = tmp_path / "finess-structures.json"
    plain.write_bytes(b"\xef\xbb\xbf" + gzip.decompress(plus_path.read_bytes()))
    extract = read_finess(plain)
    assert extract.records == reference.records
    assert extract.extract_date == reference.extract_date is not None
    assert extract.file_sha256 == hashlib.sha256(plain.read_bytes()).hexdigest()
    content = gzip.decompress(plus_path.read_bytes())
    assert reference.file_sha256 == hashlib.sha256(content).hexdigest()
