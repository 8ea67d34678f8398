"""A damaged line never erases good data (issue 12, point 3).

Re-importing an extract with any one line damaged (truncated at the end, short in the
middle, a value made unreadable) leaves every field of the database byte-identical apart
from the import log; the report names the line; the establishment keeps its last good
position and is not counted as changed. Both formats: the legacy CSV (the seeded
synthetic cs1100507 and the real 15-line sample) and the real FINESS+ JSON sample.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from importers.finess import read_finess
from importers.synthetic import SyntheticExtract
from matchmaker.imports.finess import import_finess
from matchmaker.models import Base, Establishment, FinessImport

#: The import log: the only table a damaged re-import may change.
IMPORT_LOG = FinessImport.__table__.name


def database(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the import log, in primary-key order."""
    session.flush()
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        if table.name == IMPORT_LOG:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        snapshot[table.name] = [
            tuple(row) for row in session.execute(select(table).order_by(*order))
        ]
    return snapshot


def reimport_changes(session: Session, path: Path) -> tuple[dict[str, list[Any]], Any]:
    """Import ``path`` over the committed state; the tables that changed, and the outcome.
    Rolled back afterwards (a savepoint of the test's transaction)."""
    before = database(session)
    try:
        outcome = import_finess(session, path)
    except ImportRefused as refused:
        outcome = refused
    after = database(session)
    session.rollback()
    changed = {name: rows for name, rows in after.items() if rows != before[name]}
    return changed, outcome


def import_finess_file(path: Path) -> None:
    """Read (parse and validate) a file as ``import_finess`` does, before any write."""
    read_finess(path)


def truncate(line: str) -> str:
    return line[: len(line) // 2]


def shorten(line: str) -> str:
    """Drop the last two fields (a line short in the middle of the file)."""
    return ";".join(line.split(";")[:-2])


def damaged_variants(lines: list[str], seed: int, count: int) -> list[tuple[int, str]]:
    """(index, damaged text) pairs: the last line cut at the end of the file, then
    ``count`` lines drawn at random and either truncated or shortened."""
    rng = random.Random(seed)
    variants = [(len(lines) - 1, truncate(lines[-1]))]
    for index in rng.sample(range(1, len(lines) - 1), count):
        variants.append((index, rng.choice((truncate, shorten))(lines[index])))
    return variants


@pytest.fixture
def synthetic_loaded(db_session: Session, synthetic: SyntheticExtract) -> list[str]:
    import_finess(db_session, synthetic.establishments_path)
    db_session.commit()
    return synthetic.establishments_path.read_text(encoding="utf-8").splitlines()


def test_damaged_geolocalisation_keeps_the_position(
    db_session: Session, synthetic_loaded: list[str], write_file: Callable[..., Path]
) -> None:
    """The issue's case: a geolocalisation line truncated at the end, or short in the
    middle, empties nothing and counts nothing as changed."""
    lines = synthetic_loaded
    geo = [i for i, line in enumerate(lines) if line.startswith("geolocalisation;")]
    assert geo[-1] == len(lines) - 1  # the file ends with the geolocalisation section
    middle = geo[len(geo) // 2]
    for index, text in ((geo[-1], truncate(lines[-1])), (middle, shorten(lines[middle]))):
        finess_et = lines[index].split(";")[1]
        stored = db_session.get(Establishment, finess_et)
        assert stored is not None and stored.latitude is not None
        position = (stored.latitude, stored.longitude, stored.coord_source)
        damaged = [*lines[:index], text, *lines[index + 1 :]]
        ending = "" if index == len(lines) - 1 else "\n"
        path = write_file("damaged.csv", "\n".join(damaged) + ending)
        changed, outcome = reimport_changes(db_session, path)
        assert changed == {}, f"line {index + 1} changed {sorted(changed)}"
        row = outcome.finess_import
        assert (row.updated_count, row.closed_count, row.rejected_count) == (0, 0, 1)
        assert row.unchanged_count == len(outcome.extract.records)
        assert row.errors[0]["line"] == index + 1
        assert finess_et in row.errors[0]["reason"]
        assert "position enregistrée conservée" in row.errors[0]["reason"]
        db_session.expire_all()
        again = db_session.get(Establishment, finess_et)
        assert again is not None
        assert (again.latitude, again.longitude, again.coord_source) == position


def test_any_damaged_line_of_the_synthetic_extract_changes_nothing(
    db_session: Session, synthetic_loaded: list[str], write_file: Callable[..., Path]
) -> None:
    lines = synthetic_loaded
    for index, text in damaged_variants(lines, seed=12, count=10):
        damaged = [*lines[:index], text, *lines[index + 1 :]]
        ending = "" if index == len(lines) - 1 else "\n"
        path = write_file("damaged.csv", "\n".join(damaged) + ending)
        changed, outcome = reimport_changes(db_session, path)
        assert changed == {}, f"line {index + 1} « {text[:40]} » changed {sorted(changed)}"
        assert [e.line for e in outcome.extract.rejected] == [index + 1]


@pytest.mark.parametrize(
    ("kind", "pattern", "replacement", "column"),
    [
        ("siret", r"^(structureet(?:;[^;]*){21});\d{14};", r"\1;1234X;", "siret"),
        ("categetab", r"^(structureet(?:;[^;]*){17});\d{3};", r"\1;9Z9;", "categetab"),
        ("coordinates", r"^(geolocalisation;[^;]+);[^;]+;", r"\1;88x15.0;", "coordxet"),
        ("geo date", r";(\d{4}-\d{2}-\d{2})$", r";2026-1", "datemaj"),
    ],
)
def test_an_unreadable_value_keeps_the_stored_one(
    db_session: Session,
    synthetic_loaded: list[str],
    write_file: Callable[..., Path],
    kind: str,
    pattern: str,
    replacement: str,
    column: str,
) -> None:
    lines = synthetic_loaded
    rule = re.compile(pattern)
    index = next(i for i, line in enumerate(lines) if i > 100 and rule.search(line))
    damaged = [*lines[:index], rule.sub(replacement, lines[index]), *lines[index + 1 :]]
    assert damaged[index] != lines[index], kind
    changed, outcome = reimport_changes(db_session, write_file("v.csv", "\n".join(damaged) + "\n"))
    assert changed == {}, f"{kind}: {sorted(changed)}"
    located = [(e.line, e.column) for e in outcome.extract.errors if e.line]
    assert located == [(index + 1, column)]


def test_any_damaged_line_of_the_real_sample_changes_nothing(
    db_session: Session, sample_text: str, write_file: Callable[..., Path]
) -> None:
    import_finess(db_session, write_file("full.csv", sample_text))
    db_session.commit()
    lines = sample_text.splitlines()
    for index in range(1, len(lines)):
        for damage in (truncate, shorten):
            damaged = [*lines[:index], damage(lines[index]), *lines[index + 1 :]]
            ending = "" if index == len(lines) - 1 else "\n"
            changed, outcome = reimport_changes(
                db_session, write_file("damaged.csv", "\n".join(damaged) + ending)
            )
            assert changed == {}, f"line {index + 1} ({damage.__name__}) changed {sorted(changed)}"
            assert [e.line for e in outcome.extract.rejected] == [index + 1]


#: FINESS+ values a line of the JSON may carry, damaged one at a time (the JSON stays valid).
PLUS_DAMAGES = [
    ("numFinessEge", "01X"),
    ("numFinessPm", "0X"),
    ("siret", "123"),
    ("siren", "12A"),
    ("dateOuverture", "1956-13-45"),
    ("dateDerniereMaj", "2026-0"),
    ("dateCreation", "19x4"),
    ("etatObjet", "?"),
    ("categorieentiteGeographiqueExercice", "9Z9"),
    ("cogCommune", "0#143"),
    ("coordonneeX", "6.13x"),
    ("directionLatitude", "65894x"),
]


@pytest.mark.parametrize(("key", "value"), PLUS_DAMAGES, ids=[k for k, _ in PLUS_DAMAGES])
def test_any_damaged_line_of_the_finess_plus_sample_changes_nothing(
    db_session: Session, plus_path: Path, tmp_path: Path, key: str, value: str
) -> None:
    import_finess(db_session, plus_path)
    db_session.commit()
    lines = gzip.decompress(plus_path.read_bytes()).decode("utf-8").splitlines()
    hits = [i for i, line in enumerate(lines) if line.strip().startswith(f'"{key}": "')]
    assert hits, key
    index = random.Random(key).choice(hits)
    damaged = list(lines)
    damaged[index] = re.sub(r': "[^"]*"', f': "{value}"', lines[index])
    path = tmp_path / "damaged.json"
    path.write_text("\n".join(damaged) + "\n", encoding="utf-8")
    changed, outcome = reimport_changes(db_session, path)
    assert changed == {}, f"{key} line {index + 1}: {sorted(changed)}"
    named = [e for e in outcome.extract.errors if e.column and key in e.column]
    assert named, [str(e) for e in outcome.extract.errors]


def test_a_truncated_json_line_refuses_the_file(
    db_session: Session, plus_path: Path, tmp_path: Path
) -> None:
    import_finess(db_session, plus_path)
    db_session.commit()
    lines = gzip.decompress(plus_path.read_bytes()).decode("utf-8").splitlines()
    index = len(lines) // 2
    path = tmp_path / "damaged.json"
    path.write_text("\n".join([*lines[:index], truncate(lines[index]), *lines[index + 1 :]]))
    changed, outcome = reimport_changes(db_session, path)
    assert changed == {} and isinstance(outcome, ImportRefused)


def test_a_truncated_gzip_is_refused_in_french(
    plus_path: Path, synthetic: SyntheticExtract, tmp_path: Path
) -> None:
    """Issue 12: a gzip-truncated JSON printed only « Aborted! »."""
    cut = tmp_path / "coupe.json.gz"
    data = plus_path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportRefused) as refused:
        import_finess_file(cut)
    message = refused.value.message
    assert message.startswith("coupe.json.gz : le fichier compressé (gzip) est tronqué")
    assert "entité(s) juridique(s)" in message and "octets décompressés" in message
    legacy = tmp_path / "coupe.csv.gz"
    packed = gzip.compress(synthetic.establishments_path.read_bytes())
    legacy.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ImportRefused, match=r"coupe\.csv\.gz : .* ligne\(s\) complète\(s\)"):
        import_finess_file(legacy)


def test_a_truncated_json_text_is_refused_in_french(plus_path: Path, tmp_path: Path) -> None:
    """The parser's English fragment (« parse error: premature EOF ») is not shown."""
    text = gzip.decompress(plus_path.read_bytes())
    cut = tmp_path / "coupe.json"
    cut.write_bytes(text[: len(text) // 2])
    with pytest.raises(ImportRefused) as refused:
        import_finess_file(cut)
    message = refused.value.message
    assert "le texte s'arrête avant la fin du document (fichier tronqué ?)" in message
    assert "octets lus" in message
    assert not re.search(r"parse error|premature|EOF|Incomplete", message)
