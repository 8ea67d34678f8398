"""The one rule deciding a member's project type and the editor it will use."""

from __future__ import annotations

import pytest

from matchmaker.funding.scales import ProjectType
from matchmaker.grappes.read_model import planned_editor, project_type

ACQ, MV = ProjectType.ACQUISITION, ProjectType.MONTEE_VERSION


@pytest.mark.parametrize(
    ("dui", "declared", "grappe", "kind", "planned"),
    [
        ("aucun", None, "Alpha Santé", ACQ, "Alpha Santé"),
        (None, "Alpha Santé", "Alpha Santé", ACQ, "Alpha Santé"),  # preference, no DUI
        ("reference_segur", "Alpha Santé", "Alpha Santé", MV, "Alpha Santé"),
        ("non_reference", "ALPHA SANTE", "Alpha Santé", MV, "ALPHA SANTE"),  # upgrade
        ("reference_segur", "Beta Soft", "Alpha Santé", ACQ, "Beta Soft"),  # changes editor
        ("non_reference", None, "Alpha Santé", ACQ, "Alpha Santé"),  # editor unknown
        ("reference_segur", "Alpha Santé", None, ACQ, "Alpha Santé"),  # open grappe
    ],
)
def test_project_type_and_planned_editor(
    dui: str | None, declared: str | None, grappe: str | None, kind: ProjectType, planned: str
) -> None:
    assert project_type(dui, declared, grappe) is kind
    assert planned_editor(dui, declared, grappe) == planned
