"""Rates on the hand-counted fixture (``tests/support/occitanie.py``)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.ars.dashboard import Tally, build_dashboard, size_band_labels
from tests.support.occitanie import World


def _by_key(rows: list) -> dict[str, Tally]:
    return {row.key: row.tally for row in rows}


def test_region_totals_are_the_hand_counted_ones(
    app: Flask, db_session: Session, world: World
) -> None:
    figures = build_dashboard(db_session, "76", None, app.config)
    total = figures.total
    # A1, N1, N2, N3, C1..C5, B1: the closed ESSMS, the pharmacy and R1 (Bretagne) are out.
    assert total.eligible == 10
    assert total.esms_numerique == 3  # A1, N2, C1
    assert total.sons == 2  # N1, N2
    assert total.both == 1  # N2
    assert total.embarked == 4
    assert total.not_embarked == 6
    assert total.rate == 0.4


def test_breakdowns_by_department_champ_sector_and_size(
    app: Flask, db_session: Session, world: World
) -> None:
    figures = build_dashboard(db_session, "76", None, app.config)
    departments = _by_key(figures.by_department)
    assert (departments["31"].eligible, departments["31"].embarked) == (4, 3)
    assert (departments["09"].eligible, departments["09"].embarked) == (6, 1)
    assert departments["09"].rate == 1 / 6
    assert departments["81"].eligible == 0 and departments["81"].rate is None
    assert len(figures.by_department) == 13  # every department of Occitanie

    champs = _by_key(figures.by_champ)
    assert (champs["PA"].eligible, champs["PA"].embarked) == (6, 2)
    assert (champs["PH"].eligible, champs["PH"].embarked) == (3, 2)
    assert (champs["DOM"].eligible, champs["DOM"].embarked) == (1, 0)

    sectors = _by_key(figures.by_sector)
    assert (sectors["public"].eligible, sectors["public"].embarked) == (1, 1)
    assert (sectors["prive_non_lucratif"].eligible, sectors["prive_non_lucratif"].embarked) == (
        3,
        2,
    )
    assert (sectors["prive_commercial"].eligible, sectors["prive_commercial"].embarked) == (5, 1)
    assert (sectors[""].eligible, sectors[""].embarked) == (1, 0)
    assert figures.by_sector[-1].label == "Non renseigné"

    sizes = {row.label: row.tally for row in figures.by_size}
    assert [row.label for row in figures.by_size] == ["1", "2 à 4", "5 à 14", "15 et plus"]
    assert (sizes["1"].eligible, sizes["1"].embarked) == (1, 1)
    assert (sizes["2 à 4"].eligible, sizes["2 à 4"].embarked) == (3, 2)
    assert (sizes["5 à 14"].eligible, sizes["5 à 14"].embarked) == (5, 1)
    assert (sizes["15 et plus"].eligible, sizes["15 et plus"].embarked) == (1, 0)


def test_a_department_dashboard_counts_only_its_establishments(
    app: Flask, db_session: Session, world: World
) -> None:
    figures = build_dashboard(db_session, "76", "09", app.config)
    assert (figures.total.eligible, figures.total.embarked) == (6, 1)
    assert [row.key for row in figures.by_department] == ["09"]
    assert figures.scope_label == "Ariège (09)"


def test_another_region_sees_only_its_own(app: Flask, db_session: Session, world: World) -> None:
    figures = build_dashboard(db_session, "53", None, app.config)
    assert (figures.total.eligible, figures.total.embarked) == (1, 0)


def test_size_bands_are_configurable(
    app: Flask, db_session: Session, world: World, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "ARS_OG_SIZE_BANDS", [1, 5])
    figures = build_dashboard(db_session, "76", None, app.config)
    assert [(row.label, row.tally.eligible) for row in figures.by_size] == [
        ("1 à 4", 4),
        ("5 et plus", 6),
    ]


def test_size_band_labels() -> None:
    assert size_band_labels([1, 2, 5, 15]) == ["1", "2 à 4", "5 à 14", "15 et plus"]
    assert size_band_labels([1]) == ["1 et plus"]


def test_an_empty_region_has_no_rate(app: Flask, db_session: Session) -> None:
    figures = build_dashboard(db_session, "06", None, app.config)
    assert figures.total.eligible == 0 and figures.total.rate is None
