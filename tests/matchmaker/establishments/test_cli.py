"""``grappes import-finess``, ``export-establishments`` and ``demo`` through the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.extensions import make_engine
from matchmaker.models import Establishment, Grappe, GrappeMember, Role, SolverRun, User
from tests.helpers import ROOT

SAMPLE = "exemples-reels/etalab-cs1100502-stock-20260512-0339.extrait-15-lignes.csv"


def test_import_then_reimport(runner: FlaskCliRunner, finess_dir: Path) -> None:
    result = runner.invoke(args=["import-finess", str(finess_dir / SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Import terminé" in result.output
    assert "extrait du 12/05/2026" in result.output
    assert "nouveaux : 14" in result.output
    assert "rejetés : 0" in result.output
    again = runner.invoke(args=["import-finess", str(finess_dir / SAMPLE)])
    assert "inchangés : 14" in again.output and "nouveaux : 0" in again.output


def test_dry_run(runner: FlaskCliRunner, db_session: Session, finess_dir: Path) -> None:
    result = runner.invoke(args=["import-finess", "--dry-run", str(finess_dir / SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "rien n'a été écrit" in result.output and "14 établissements lus" in result.output
    assert db_session.scalar(select(func.count()).select_from(Establishment)) == 0


def test_dry_run_gives_the_forecast(
    runner: FlaskCliRunner, db_session: Session, finess_dir: Path, tmp_path: Path
) -> None:
    """Issue 12: --dry-run said only « rien n'a été écrit »."""
    runner.invoke(args=["import-finess", str(finess_dir / SAMPLE)])
    lines = (finess_dir / SAMPLE).read_text(encoding="utf-8").splitlines()
    lines[0] = "finess;etalab;111;2026-06-01"
    lines = [line for line in lines if "970405767" not in line]  # closed
    lines = [line.replace("UAD (LA POSSESSION)-ASDR", "UAD POSSESSION") for line in lines]
    path = tmp_path / "v2.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = db_session.scalar(select(func.max(Establishment.updated_at)))
    result = runner.invoke(args=["import-finess", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "rien n'a été écrit" in result.output
    for line in (
        "seraient créés : 0", "seraient modifiés : 1", "seraient fermés : 1",
        "resteraient inchangés : 12",
    ):  # fmt: skip
        assert line in result.output
    assert db_session.scalar(select(func.max(Establishment.updated_at))) == before
    real = runner.invoke(args=["import-finess", str(path)])
    assert "modifiés : 1" in real.output and "fermés : 1" in real.output
    assert "inchangés : 12" in real.output


def test_truncated_gzip_is_explained_in_french(
    runner: FlaskCliRunner, finess_dir: Path, tmp_path: Path
) -> None:
    """Issue 12: a gzip-truncated JSON printed only « Aborted! »."""
    data = finess_dir / "finess-plus" / "finess-structures-20260813-extrait-partage.json.gz"
    cut = tmp_path / "coupe.json.gz"
    cut.write_bytes(data.read_bytes()[:20000])
    result = runner.invoke(args=["import-finess", str(cut)])
    assert result.exit_code == 1
    assert "Aborted" not in result.output
    assert "coupe.json.gz : le fichier compressé (gzip) est tronqué" in result.output


def test_malformed_line_without_and_with_strict(
    runner: FlaskCliRunner, db_session: Session, finess_dir: Path, tmp_path: Path
) -> None:
    lines = (finess_dir / SAMPLE).read_text(encoding="utf-8").splitlines()
    fields = lines[2].split(";")
    fields[1] = fields[1][:-1]  # an 8-character FINESS ET
    lines[2] = ";".join(fields)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    strict = runner.invoke(args=["import-finess", "--strict", str(path)])
    assert strict.exit_code == 1
    assert "Import refusé" in strict.output and "ligne 3" in strict.output
    assert db_session.scalar(select(func.count()).select_from(Establishment)) == 0
    lenient = runner.invoke(args=["import-finess", str(path)])
    assert lenient.exit_code == 0
    assert "nouveaux : 13" in lenient.output and "rejetés : 1" in lenient.output
    assert "ligne 3" in lenient.output and "numéro FINESS" in lenient.output


def test_file_of_another_kind(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("nom;ville\nEHPAD;Rennes\n", encoding="utf-8")
    result = runner.invoke(args=["import-finess", str(path)])
    assert result.exit_code == 1
    assert "n'est pas un extrait FINESS" in result.output


def test_export(runner: FlaskCliRunner, finess_dir: Path, tmp_path: Path) -> None:
    runner.invoke(args=["import-finess", str(finess_dir / SAMPLE)])
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["export-establishments", "--out", str(out)])
    assert result.exit_code == 0 and "14 établissement(s)" in result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 14
    assert list(rows[0])[:10] == [
        "finess_et", "finess_ej", "name", "department", "region", "category", "champ",
        "is_essms", "latitude", "longitude",
    ]  # fmt: skip
    runner.invoke(
        args=["export-establishments", "--department", "9D", "--essms-only", "--out", str(out)]
    )
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["finess_et"], r["champ"], r["is_essms"]) for r in rows] == [
        ("970405767", "PDE", "oui")
    ]
    result = runner.invoke(args=["export-establishments", "--region", "99", "--out", str(out)])
    assert result.exit_code == 2 and "région inconnue" in result.output


def test_demo_end_to_end(tmp_path: Path) -> None:
    """``grappes demo`` on a fresh SQLite file (subprocess, as the quick start runs it):
    generate, migrate, import, declarations, a run published, and one account per role,
    the OG one with a proposed grappe to answer."""
    database = tmp_path / "demo.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-demo",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("GRAPPES_DATABASE_URL", None)
    command = [sys.executable, "-m", "matchmaker", "demo", "--seed", "1",
               "--folder", str(tmp_path / "demo")]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "nouveaux : 3000" in result.stdout
    assert "déclarations importées" in result.stdout
    assert "publié" in result.stdout and "grappes run" in result.stdout
    assert list((tmp_path / "demo").glob("etalab-cs1100507-stock-*.csv"))
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            roles = set(session.scalars(select(User.role)))
            assert roles == set(Role)
            og_user = session.scalars(select(User).where(User.role == Role.OG)).one()
            run = session.scalars(
                select(SolverRun).where(SolverRun.published_at.is_not(None))
            ).one()
            proposed = session.scalar(
                select(func.count())
                .select_from(GrappeMember)
                .join(Grappe, Grappe.id == GrappeMember.grappe_id)
                .where(Grappe.run_id == run.id, GrappeMember.finess_ej == og_user.finess_ej)
            )
            assert proposed
    finally:
        engine.dispose()
