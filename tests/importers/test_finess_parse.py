"""Parsing and validating the legacy extract: pure functions over files, no database."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importers.coordinates import read_source
from importers.errors import ImportRefused
from importers.finess import parse_legacy, read_finess
from importers.finess_lines import DateReader
from importers.geography import DEPARTMENTS

#: Geolocation lines in the 2026 spelling, for a FINESS ET given at test time.
GEO_2026_MAINLAND = (
    "geolocalisation;{};870262.2;6571540.8;"
    "1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole);2026-05-04"
)
GEO_2026_ANTILLES = (
    "geolocalisation;{};657242.9;1795384.4;"
    "2,ATLASANTE,96,BAN,EPSG:5490 RGAF09/UTM Zone 20N (Antilles);2026-05-04"
)


def parse_text(text: str, name: str = "extrait.csv", encoding: str = "utf-8"):
    return parse_legacy(io.BytesIO(text.encode(encoding)), name)


def test_real_sample(sample_path: Path, sample_fields: dict[str, list[str]]) -> None:
    mainland = sample_fields["mainland"]
    extract = read_finess(sample_path)
    assert extract.extract_date == date(2026, 5, 12)
    assert extract.errors == []
    assert len(extract.records) == 14
    assert Counter(r.department for r in extract.records.values()) == {
        "01": 1, "977": 1, "978": 2, "972": 2, "973": 2, "974": 3, "976": 2, "986": 1,
    }  # fmt: skip
    fleyriat = extract.records[mainland[1]]
    assert fleyriat.finess_ej == mainland[2]
    assert (fleyriat.postcode, fleyriat.commune, fleyriat.commune_code) == (
        "01440", "VIRIAT", "01451",
    )  # fmt: skip
    assert fleyriat.region == "84"
    assert fleyriat.opened_on == date(1979, 2, 13)
    assert fleyriat.is_essms is False and fleyriat.champ is None
    assert fleyriat.latitude is None  # cs1100502: no geolocalisation section


def test_quoted_field_with_doubled_quotes(sample_path: Path) -> None:
    record = read_finess(sample_path).records["980501506"]
    assert record.short_name == 'LIEU DE VIE "MAVOUNA MEMA 1"'
    assert record.long_name == 'LIEU DE VIE ET D\'ACCUEIL "MAVOUNA MEMA 1"'
    assert (record.department, record.champ, record.is_essms) == ("976", "PDE", True)


def test_establishment_of_an_ej_elsewhere(sample_path: Path) -> None:
    record = read_finess(sample_path).records["970216057"]
    assert (record.department, record.finess_ej, record.champ) == ("972", "590799730", "PJM")


def test_latin1_and_bom_variants_read_the_same(
    sample_text: str, sample_path: Path, write_file: Callable[..., Path]
) -> None:
    reference = read_finess(sample_path).records
    for path in (
        write_file("latin1.csv", sample_text, encoding="cp1252"),
        write_file("bom.csv", sample_text, bom=True),
        write_file("crlf.csv", sample_text.replace("\n", "\r\n"), encoding="latin-1"),
    ):
        assert read_finess(path).records == reference, path.name


def test_day_first_dates(
    sample_text: str, sample_fields: dict[str, list[str]], write_file: Callable[..., Path]
) -> None:
    lines = sample_text.splitlines()
    converted = [lines[0]]
    for line in lines[1:]:
        fields = line.split(";")
        for index in (28, 29, 30):
            if fields[index]:
                y, m, d = fields[index].split("-")
                fields[index] = f"{d}/{m}/{y}"
        converted.append(";".join(fields))
    extract = read_finess(write_file("jjmmaaaa.csv", "\n".join(converted) + "\n"))
    assert extract.errors == []
    assert extract.records[sample_fields["mainland"][1]].opened_on == date(1979, 2, 13)
    assert extract.records["970216057"].finess_updated_on == date(2026, 4, 21)


@pytest.mark.parametrize(
    "first_line",
    ["", "nofinesset;nofinessej;rs", "structureet;123456789;987654321", "%PDF-1.4"],
)
def test_a_file_of_another_kind_is_refused(first_line: str) -> None:
    with pytest.raises(ImportRefused, match="n'est pas un extrait FINESS"):
        parse_text(first_line + "\nstructureet;1;2\n")


def test_ej_file_given_as_establishments_is_refused() -> None:
    with pytest.raises(ImportRefused, match="--ej"):
        parse_text("finess;etalab;96;2026-05-12\nstructureej;010000016;X\n")


@pytest.mark.parametrize(
    ("mutate", "column", "expected"),
    [
        (lambda f: f[:20], None, "32 champs"),
        (lambda f: [*f[:1], "01000002", *f[2:]], "nofinesset", "numéro FINESS"),
        (lambda f: [*f[:2], "ABC", *f[3:]], "nofinessej", "numéro FINESS"),
        (lambda f: [*f[:13], "99", *f[14:]], "departement", "code département"),
        (lambda f: [*f[:28], "1979-13-45", *f[29:]], "dateouv", "date"),
        (lambda f: [*f[:30], "2,601E+13", *f[31:]], "datemaj", "date"),
    ],
)
def test_malformed_line_is_reported_with_its_number(
    sample_text: str, mutate: Callable[[list[str]], list[str]], column: str | None, expected: str
) -> None:
    lines = sample_text.splitlines()
    lines[3] = ";".join(mutate(lines[3].split(";")))
    extract = parse_text("\n".join(lines) + "\n")
    assert len(extract.rejected) == 1
    error = extract.rejected[0]
    assert (error.line, error.column) == (4, column)
    assert expected in error.expected
    assert len(extract.records) == 13  # the rest is imported
    assert "ligne 4" in str(error)


def test_duplicate_finess_is_rejected(sample_text: str) -> None:
    lines = sample_text.splitlines()
    extract = parse_text("\n".join([*lines, lines[1]]) + "\n")
    assert [e.line for e in extract.rejected] == [16]
    assert "déjà ligne 2" in (extract.rejected[0].found or "")


def test_truncated_file(sample_text: str) -> None:
    cut = sample_text[: sample_text.index("structureet;970405767") + 60]
    extract = parse_text(cut)
    assert extract.truncated
    assert len(extract.records) == 7
    assert len(extract.rejected) == 1
    assert any("tronqué" in (e.hint or "") for e in extract.warnings)


def test_clean_end_without_newline_is_not_truncated(sample_text: str) -> None:
    extract = parse_text(sample_text.rstrip("\n"))
    assert not extract.truncated and extract.errors == []


@pytest.mark.parametrize(
    ("source", "epsg", "approximate"),
    [
        ("1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;LAMBERT_93", 2154, False),
        ("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93", 2154, False),
        ("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N20", 5490, False),
        ("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N21", 32621, False),
        ("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N22", 2972, False),
        ("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_S38", 4471, False),
        ("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_S40", 2975, False),
        ("1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)", 2154, False),
        ("2,ATLASANTE,96,BAN,EPSG:5490 RGAF09/UTM Zone 20N (Antilles)", 5490, False),
        ("1,ATLASANTE,.,ADMIN-EXPRESS-2023,EPSG:2154 RGF93 / Lambert-93 (Métropole)", 2154, True),
        ("1,ATLASANTE,90,BAN,WGS84/UTM zone 21N (St-Pierre-et-Miquelon)", 32621, False),
        ("1,ATLASANTE,80,MAPS 06-11-2024,WGS84 / UTM 1S", 32701, False),
        ("", None, False),
    ],
)
def test_source_spellings(source: str, epsg: int | None, approximate: bool) -> None:
    info = read_source(source)
    assert (info.epsg, info.approximate) == (epsg, approximate)


def test_geolocation_lines_are_reprojected(
    sample_text: str, sample_fields: dict[str, list[str]]
) -> None:
    mainland = sample_fields["mainland"][1]
    hospital = sample_fields["saint_martin_hospital"][1]
    geolocation = GEO_2026_MAINLAND.format(mainland), GEO_2026_ANTILLES.format(hospital)
    extract = parse_text(sample_text + "\n".join(geolocation) + "\n")
    viriat = extract.records[mainland]
    assert viriat.latitude == pytest.approx(46.23, abs=0.02)
    assert viriat.longitude == pytest.approx(5.21, abs=0.02)
    assert (viriat.coord_epsg, viriat.coord_approximate) == (2154, False)
    assert DEPARTMENTS["01"].contains(viriat.latitude, viriat.longitude)
    # Saint-Martin's hospital, placed with the Antilles UTM
    marigot = extract.records[hospital]
    assert marigot.coord_epsg == 5490
    assert marigot.latitude is not None and 15.8 < marigot.latitude < 18.2


def test_2016_geolocation_spelling_with_twelve_fields(
    sample_text: str, sample_fields: dict[str, list[str]]
) -> None:
    mainland = sample_fields["mainland"][1]
    line = (
        f"geolocalisation;{mainland};870262.2;6571540.8;1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;"
        "LAMBERT_93;2016-02-29"
    )
    extract = parse_text(sample_text + line + "\n")
    record = extract.records[mainland]
    assert record.coord_epsg == 2154 and record.latitude == pytest.approx(46.23, abs=0.02)
    assert record.coord_source == "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.1,LAMBERT_93"


def test_centroid_missing_and_unknown_crs(
    sample_text: str, sample_fields: dict[str, list[str]]
) -> None:
    mainland = sample_fields["mainland"][1]
    lines = [
        f"geolocalisation;{mainland};870262.2;6571540.8;"
        "1,ATLASANTE,.,ADMIN-EXPRESS-2023,EPSG:2154 RGF93 / Lambert-93 (Métropole);2026-05-04",
        "geolocalisation;970400024;;;;2026-05-04",
        "geolocalisation;970300026;353000.0;545000.0;1,X,90,Y,MYSTERY;2026-05-04",
        "geolocalisation;970302287;353000.0;545000.0;1,X,90,Y,EPSG:99999 NOWHERE;2026-05-04",
        "geolocalisation;999999999;1;2;1,X,90,Y,LAMBERT_93;2026-05-04",
    ]
    extract = parse_text(sample_text + "\n".join(lines) + "\n")
    assert extract.records[mainland].coord_approximate is True
    assert extract.records["970400024"].latitude is None  # kept, without coordinates
    cayenne = extract.records["970300026"]
    assert cayenne.coord_epsg == 2972  # the department's CRS, with a warning
    assert cayenne.latitude is not None and DEPARTMENTS["973"].contains(
        cayenne.latitude, cayenne.longitude or 0
    )
    assert extract.rejected == []
    assert {w.column for w in extract.warnings} == {"sourcecoordet", "nofinesset"}


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)))
def test_both_date_spellings(day: date) -> None:
    read = DateReader()
    assert read(day.isoformat()) == day
    assert read(day.strftime("%d/%m/%Y")) == day


@given(st.text(max_size=80))
def test_any_source_text_is_read_without_crashing(text: str) -> None:
    info = read_source(text)
    assert info.epsg is None or isinstance(info.epsg, int)
