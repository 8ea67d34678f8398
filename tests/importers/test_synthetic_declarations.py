"""The demo generator writes a messy file the importer reads back with few rejections."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from importers.synthetic_declarations import write_demo_declarations, write_demo_embarked
from matchmaker.declarations.services import current_declarations, embarkation_status
from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.embarkation import import_embarked
from matchmaker.imports.synthetic_declarations import load_demo_referential, open_essms
from matchmaker.models import Campaign
from tests.support.declarations import essms


@pytest.mark.usefixtures("referential")
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_demo_declarations_round_trip(
    db_session: Session,
    campaign: Campaign,
    tmp_path: Path,
    suffix: str,
) -> None:
    for number in range(60):
        department = ("01", "69", "2A")[number % 3]
        prefix = {"01": "01", "69": "69", "2A": "2A"}[department]
        essms(
            db_session,
            f"{prefix}000{number:04d}",
            f"{prefix}90000{number % 7}",
            f"ESSMS {number}",
            department,
        )
    open_ones = open_essms(db_session, campaign.name)
    written = write_demo_declarations(
        open_ones, campaign.name, tmp_path / f"demo{suffix}", seed=4, sample=0.8, error_rate=0.1
    )
    again = write_demo_declarations(
        open_ones, campaign.name, tmp_path / f"again{suffix}", seed=4, sample=0.8, error_rate=0.1
    )
    assert written.rows == again.rows > 30
    summary = import_declarations(db_session, written.path, campaign)
    assert summary.created == written.rows - summary.rejected
    assert 0 < summary.rejected <= written.faulty
    assert summary.extra["editeurs_reconnus"] > 0
    declared = current_declarations(db_session, campaign.id)
    assert sum(d.editor_id is not None for d in declared.values()) >= 0.8 * sum(
        d.editor_raw is not None for d in declared.values()
    )


def test_demo_referential_and_embarkation_list(db_session: Session, tmp_path: Path) -> None:
    for number in range(200):
        essms(db_session, f"0100{number:05d}", "010000001", f"ESSMS {number}", "01")
    referential = load_demo_referential(db_session, tmp_path, seed=1)
    assert referential.created > 30 and referential.errors == []
    numbers = [one.finess_et for one in open_essms(db_session)]
    rows = write_demo_embarked(numbers, tmp_path / "embarques.csv", seed=1)
    assert 10 < rows < 80
    summary = import_embarked(db_session, tmp_path / "embarques.csv")
    assert (summary.created, summary.errors) == (rows, [])
    status = embarkation_status(db_session)
    assert len(status) == rows
    assert any(s.esms_numerique for s in status.values())
    assert any(s.sons and s.locked_editor_id for s in status.values())
