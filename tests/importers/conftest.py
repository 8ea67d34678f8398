"""Fixtures of the FINESS importer tests: the real sample, variants, a synthetic extract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from importers.synthetic import SyntheticExtract, generate
from tests.support.finess import PLUS_NAME, SAMPLE_NAME

#: A small synthetic extract: Bretagne and La Réunion.
SYNTHETIC_SIZE = 1500
SYNTHETIC_REGIONS = ("53", "04")


@pytest.fixture(scope="session")
def sample_path(finess_dir: Path) -> Path:
    """The 15 real lines of the 2026-05-12 cs1100502 extract."""
    return finess_dir / "exemples-reels" / SAMPLE_NAME


@pytest.fixture(scope="session")
def sample_text(sample_path: Path) -> str:
    return sample_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_fields(sample_text: str) -> dict[str, list[str]]:
    """The sample's ``structureet`` lines split into fields, keyed by role, so that tests
    name real records without copying their numbers: ``mainland`` (the only one in
    department 01) and ``saint_martin_hospital`` (the Antilles centre hospitalier, 9A, 355)."""
    rows = [line.split(";") for line in sample_text.splitlines() if line.startswith("structureet;")]
    return {
        "mainland": next(f for f in rows if f[13] == "01"),
        "saint_martin_hospital": next(f for f in rows if f[13] == "9A" and f[18] == "355"),
    }


@pytest.fixture(scope="session")
def plus_path(finess_dir: Path) -> Path:
    """The real FINESS+ JSON sample (26 EJ, 373 EGE)."""
    return finess_dir / "finess-plus" / PLUS_NAME


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticExtract:
    """A seeded synthetic cs1100507 extract and its EJ file (written once per session)."""
    return generate(
        tmp_path_factory.mktemp("synthetic"),
        size=SYNTHETIC_SIZE,
        seed=7,
        regions=SYNTHETIC_REGIONS,
    )


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a test variant: ``write_file(name, text, encoding="utf-8", bom=False)``."""

    def write(name: str, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
        path = tmp_path / name
        data = text.encode(encoding)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return write
