"""Loading FINESS extracts into the database: upsert, idempotence, closing, organisations.

Every test runs in a rolled-back transaction (``db_session``), on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from importers.synthetic import SyntheticExtract
from matchmaker.imports.finess import import_finess
from matchmaker.models import Establishment, FinessImport, Organisation

EJ_HEADER = "finess;etalab;96;2026-05-12"


@contextmanager
def writes(session: Session) -> Iterator[list[str]]:
    """Collect the INSERT/UPDATE/DELETE statements sent on the session's connection."""
    statements: list[str] = []
    connection = session.connection()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def establishments(session: Session) -> dict[str, Establishment]:
    return {e.finess_et: e for e in session.scalars(select(Establishment))}


def test_import_real_sample(db_session: Session, sample_path: Path) -> None:
    outcome = import_finess(db_session, sample_path)
    db_session.commit()
    row = outcome.finess_import
    assert row is not None
    assert (row.created_count, row.updated_count, row.closed_count, row.unchanged_count) == (
        14, 0, 0, 0,
    )  # fmt: skip
    assert row.file_format == "legacy_csv" and len(row.file_sha256) == 64
    stored = establishments(db_session)
    assert len(stored) == 14
    saint_barthelemy = [e for e in stored.values() if e.postcode == "97133"]
    assert [e.department for e in saint_barthelemy] == ["977"]
    assert stored["980501506"].short_name == 'LIEU DE VIE "MAVOUNA MEMA 1"'
    by_department = dict(
        db_session.execute(
            select(Establishment.department, func.count()).group_by(Establishment.department)
        ).all()
    )
    assert by_department == {
        "01": 1, "977": 1, "978": 2, "972": 2, "973": 2, "974": 3, "976": 2, "986": 1,
    }  # fmt: skip
    cayenne = db_session.get(Organisation, "970302022")
    assert cayenne is not None
    assert (cayenne.essms_count, cayenne.establishment_count) == (1, 2)  # the CH and its EHPAD
    alefpa = db_session.get(Organisation, "590799730")
    assert alefpa is not None and alefpa.essms_count == 1


def test_reimport_unchanged_writes_nothing(db_session: Session, sample_path: Path) -> None:
    import_finess(db_session, sample_path)
    db_session.commit()
    before = {k: (e.updated_at, e.last_import_id) for k, e in establishments(db_session).items()}
    with writes(db_session) as statements:
        outcome = import_finess(db_session, sample_path)
        db_session.commit()
    row = outcome.finess_import
    assert row is not None
    assert (row.created_count, row.updated_count, row.closed_count, row.unchanged_count) == (
        0, 0, 0, 14,
    )  # fmt: skip
    touched = [s for s in statements if "finess_imports" not in s]
    assert touched == []
    db_session.expire_all()
    after = {k: (e.updated_at, e.last_import_id) for k, e in establishments(db_session).items()}
    assert after == before


def test_newer_extract_updates_and_closes(
    db_session: Session, sample_text: str, write_file: Callable[..., Path]
) -> None:
    import_finess(db_session, write_file("v1.csv", sample_text))
    db_session.commit()
    lines = sample_text.splitlines()
    lines[0] = "finess;etalab;111;2026-06-01"
    # 970405767 (La Réunion) disappears; 970409645 changes its name.
    lines = [line for line in lines if "970405767" not in line]
    lines = [line.replace("UAD (LA POSSESSION)-ASDR", "UAD POSSESSION") for line in lines]
    outcome = import_finess(db_session, write_file("v2.csv", "\n".join(lines) + "\n"))
    db_session.commit()
    row = outcome.finess_import
    assert row is not None
    assert (row.created_count, row.updated_count, row.closed_count, row.unchanged_count) == (
        0, 1, 1, 12,
    )  # fmt: skip
    db_session.expire_all()
    stored = establishments(db_session)
    assert len(stored) == 14  # never deleted
    closed = stored["970405767"]
    assert closed.is_open is False and str(closed.closed_on) == "2026-06-01"
    assert stored["970409645"].short_name == "UAD POSSESSION"
    # the closed PJJ establishment no longer counts for its organisation
    og = db_session.get(Organisation, "970400149")
    assert og is not None and og.essms_count == 0
    # it comes back: reopened, counted again
    outcome = import_finess(db_session, write_file("v3.csv", sample_text))
    db_session.commit()
    assert outcome.finess_import is not None and outcome.finess_import.updated_count == 2
    db_session.expire_all()
    assert establishments(db_session)["970405767"].is_open is True


def test_regional_file_closes_only_in_its_departments(
    db_session: Session, synthetic: SyntheticExtract, write_file: Callable[..., Path]
) -> None:
    import_finess(db_session, synthetic.establishments_path)
    db_session.commit()
    lines = synthetic.establishments_path.read_text(encoding="utf-8").splitlines()
    reunion = [line for line in lines[1:] if line.split(";")[1].startswith("97049")]
    removed = {line.split(";")[1] for line in reunion if line.startswith("structureet")}
    removed = set(sorted(removed)[:3])
    kept = [line for line in reunion if line.split(";")[1] not in removed]
    outcome = import_finess(db_session, write_file("reunion.csv", "\n".join([lines[0], *kept])))
    db_session.commit()
    assert outcome.extract.departments == {"974"}
    row = outcome.finess_import
    assert row is not None and (row.closed_count, row.created_count, row.updated_count) == (3, 0, 0)
    db_session.expire_all()
    closed = set(db_session.scalars(select(Establishment.finess_et).where(~Establishment.is_open)))
    assert closed == removed


def test_partial_file_closes_nothing_unless_allowed(
    db_session: Session, synthetic: SyntheticExtract, sample_path: Path
) -> None:
    """The 15 real lines over a synthetic extract: far too many closures for a full file."""
    import_finess(db_session, synthetic.establishments_path)
    db_session.commit()
    in_reunion = synthetic.by_department()["974"]
    outcome = import_finess(db_session, sample_path)
    assert outcome.finess_import is not None and outcome.finess_import.closed_count == 0
    assert outcome.extract.close_blocked == in_reunion
    assert "fichier partiel" in outcome.finess_import.errors[-1]["reason"]
    forced = import_finess(db_session, sample_path, allow_mass_close=True)
    assert forced.finess_import is not None
    assert forced.finess_import.closed_count == in_reunion


def test_truncated_file_closes_nothing(
    db_session: Session, sample_text: str, write_file: Callable[..., Path]
) -> None:
    import_finess(db_session, write_file("full.csv", sample_text))
    db_session.commit()
    cut = sample_text[: sample_text.index("structureet;970405767") + 60]
    outcome = import_finess(db_session, write_file("cut.csv", cut))
    db_session.commit()
    row = outcome.finess_import
    assert row is not None and outcome.extract.truncated
    assert (row.closed_count, row.rejected_count, row.unchanged_count) == (0, 1, 7)
    assert all(e.is_open for e in establishments(db_session).values())


def test_malformed_line_without_and_with_strict(
    db_session: Session, sample_text: str, write_file: Callable[..., Path]
) -> None:
    lines = sample_text.splitlines()
    lines[4] = lines[4].replace(";2016-09-09;", ";09/2016;")
    path = write_file("bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportRefused) as refused:
        import_finess(db_session, path, strict=True)
    assert [e.line for e in refused.value.errors] == [5]
    assert db_session.scalar(select(func.count()).select_from(Establishment)) == 0
    assert db_session.scalar(select(func.count()).select_from(FinessImport)) == 0
    outcome = import_finess(db_session, path)
    db_session.commit()
    row = outcome.finess_import
    assert row is not None and (row.created_count, row.rejected_count) == (13, 1)
    assert row.errors[0]["line"] == 5 and "datemaj" in row.errors[0]["reason"]


def test_dry_run_writes_nothing(db_session: Session, sample_path: Path) -> None:
    outcome = import_finess(db_session, sample_path, dry_run=True)
    assert outcome.finess_import is None and len(outcome.extract.records) == 14
    assert db_session.scalar(select(func.count()).select_from(Establishment)) == 0


def test_refused_file_writes_nothing(db_session: Session, write_file: Callable[..., Path]) -> None:
    path = write_file("autre.csv", "nom;prenom\nDupont;Jean\n")
    with pytest.raises(ImportRefused, match="n'est pas un extrait FINESS"):
        import_finess(db_session, path)
    assert db_session.scalar(select(func.count()).select_from(FinessImport)) == 0


def test_ej_file_fills_organisations(
    db_session: Session, sample_path: Path, write_file: Callable[..., Path]
) -> None:
    ej_line = ";".join(
        [
            "structureej", "970302022", "CH DE CAYENNE", "CENTRE HOSPITALIER ANDREE ROSEMON",
            "", "", "AV", "DES FLAMBOYANTS", "", "", "BP 6006", "302", "97306 CAYENNE CEDEX",
            "9C", "GUYANE", "0594395050", "13",
            "Etablissement Public Communal d'Hospitalisation", "", "", "269733028", "",
            "1904-04-04", "",
        ]
    )  # fmt: skip
    association = ej_line.replace("970302022", "590799730").replace(";13;", ";61;")
    ej_path = write_file("ej.csv", f"{EJ_HEADER}\n{ej_line}\n{association}\n")
    outcome = import_finess(db_session, sample_path, ej_path=ej_path)
    db_session.commit()
    assert outcome.extract.ej_file_name == "ej.csv"
    cayenne = db_session.get(Organisation, "970302022")
    assert cayenne is not None
    assert (cayenne.name, cayenne.legal_status_code, cayenne.legal_sector, cayenne.siren) == (
        "CH DE CAYENNE", "13", "public", "269733028",
    )  # fmt: skip
    alefpa = db_session.get(Organisation, "590799730")
    assert alefpa is not None and alefpa.legal_sector == "prive_non_lucratif"
    # unchanged EJ data: nothing rewritten on re-import
    with writes(db_session) as statements:
        import_finess(db_session, sample_path, ej_path=ej_path)
    assert [s for s in statements if "finess_imports" not in s] == []


def test_establishment_file_given_as_ej_is_refused(db_session: Session, sample_path: Path) -> None:
    with pytest.raises(ImportRefused, match="cs1100501"):
        import_finess(db_session, sample_path, ej_path=sample_path)
