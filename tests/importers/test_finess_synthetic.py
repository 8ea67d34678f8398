"""The synthetic extract: exact legacy format, realistic content, imported faithfully."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.categories import category
from importers.finess import read_finess
from importers.geography import DEPARTMENTS
from importers.synthetic import SyntheticExtract, generate
from matchmaker.imports.finess import import_finess
from matchmaker.models import Establishment, Organisation


def test_exact_legacy_format(synthetic: SyntheticExtract) -> None:
    lines = synthetic.establishments_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"finess;etalab;98;{synthetic.extract_date.isoformat()}"
    kinds = Counter(line.split(";", 1)[0] for line in lines[1:])
    assert kinds["structureet"] == len(synthetic.establishments)
    assert 0 < kinds["geolocalisation"] < kinds["structureet"]  # a few have none
    structure = [line for line in lines if line.startswith("structureet;")]
    assert all(line.endswith(";") for line in structure)
    assert all(len(line.split(";")) == 32 for line in structure if '"' not in line)
    # every structureet line comes before every geolocalisation line
    last_structure = max(i for i, line in enumerate(lines) if line.startswith("structureet"))
    first_geo = min(i for i, line in enumerate(lines) if line.startswith("geolocalisation"))
    assert last_structure < first_geo
    sources = {line.split(";")[4].split(",", 4)[4] for line in lines[first_geo:]}
    assert sources == {
        "EPSG:2154 RGF93 / Lambert-93 (Métropole)",
        "EPSG:2975 RGR92/UTM Zone 40S (Réunion)",
    }
    ej_lines = synthetic.ej_path.read_text(encoding="utf-8").splitlines()
    assert len(ej_lines) == len(synthetic.organisations) + 1


def test_same_seed_same_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", size=200, seed=3, regions=("94",))
    second = generate(tmp_path / "b", size=200, seed=3, regions=("94",))
    assert first.establishments_path.read_bytes() == second.establishments_path.read_bytes()
    assert first.ej_path.read_bytes() == second.ej_path.read_bytes()


def test_realistic_content(synthetic: SyntheticExtract) -> None:
    assert set(synthetic.by_department()) == {"22", "29", "35", "56", "974"}
    categories = Counter(e.category for e in synthetic.establishments)
    assert categories["620"] > categories["500"] > categories["183"] > 0  # pharmacies first
    essms = [e for e in synthetic.establishments if (c := category(e.category)) and c.is_essms]
    assert 0.25 < len(essms) / len(synthetic.establishments) < 0.6
    sizes = Counter(synthetic.essms_by_organisation().values())
    assert sizes[1] == max(sizes.values())  # most OG run one ESSMS
    assert max(sizes) >= 20  # and some large associations
    assert any(e.approximate for e in synthetic.establishments)
    assert any(e.latitude is None for e in synthetic.establishments)


def test_parse_matches_the_truth(synthetic: SyntheticExtract) -> None:
    extract = read_finess(synthetic.establishments_path, ej_path=synthetic.ej_path)
    assert extract.rejected == []
    # The only warning: the establishments of categories to confirm (« à confirmer »).
    to_confirm = sum(1 for e in synthetic.establishments if e.category == "219")
    assert [(w.line, w.column) for w in extract.warnings] == (
        [(0, "categetab")] if to_confirm else []
    )
    assert Counter(r.department for r in extract.records.values()) == synthetic.by_department()
    truth = {e.finess_et: e for e in synthetic.establishments}
    for finess_et, record in extract.records.items():
        expected = truth[finess_et]
        assert record.finess_ej == expected.finess_ej
        assert record.category_code == expected.category
        assert record.coord_approximate == expected.approximate
        if expected.latitude is None:
            assert record.latitude is None
        else:
            assert record.latitude is not None and record.longitude is not None
            assert abs(record.latitude - expected.latitude) < 1e-5
            assert abs(record.longitude - (expected.longitude or 0)) < 1e-5
            assert DEPARTMENTS[record.department].contains(record.latitude, record.longitude)


def test_import_counts_and_organisations(db_session: Session, synthetic: SyntheticExtract) -> None:
    outcome = import_finess(db_session, synthetic.establishments_path, ej_path=synthetic.ej_path)
    db_session.commit()
    assert outcome.finess_import is not None
    assert outcome.finess_import.created_count == len(synthetic.establishments)
    by_department = dict(
        db_session.execute(
            select(Establishment.department, func.count()).group_by(Establishment.department)
        ).all()
    )
    assert by_department == dict(synthetic.by_department())
    stored = dict(
        (ej, count)
        for ej, count in db_session.execute(
            select(Organisation.finess_ej, Organisation.essms_count)
        )
    )
    assert len(stored) == len(synthetic.organisations)
    truth = synthetic.essms_by_organisation()
    assert {ej: count for ej, count in stored.items() if count} == dict(truth)
    named = db_session.scalar(select(func.count()).where(Organisation.name.is_not(None)))
    assert named == len(synthetic.organisations)
    sectors = set(db_session.scalars(select(Organisation.legal_sector).distinct()))
    assert sectors == {"public", "prive_non_lucratif", "prive_commercial"}
    champs = dict(
        db_session.execute(
            select(Establishment.category_code, Establishment.champ).where(
                Establishment.category_code.in_(["500", "183", "460", "354", "214", "177"])
            )
        ).all()
    )
    assert champs == {"500": "PA", "183": "PH", "460": "DOM", "354": "DOM", "214": "AHI",
                      "177": "PDE"}  # fmt: skip
