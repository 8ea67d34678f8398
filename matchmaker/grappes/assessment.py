"""A stored grappe's funding estimate and recevabilité checklist, for ``grappes funding``.

A thin face of the one read model (:mod:`matchmaker.grappes.read_model`), which also holds
the rules deciding a member's project type and planned editor (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from matchmaker.funding.checklist import Checklist
from matchmaker.funding.estimate import FundingError, GrappeEstimate
from matchmaker.funding.scales import Scale
from matchmaker.grappes.read_model import (
    grappe_view,
    has_dui,
    planned_editor,
    project_type,
    same_editor,
)
from matchmaker.models import Grappe

__all__ = ["Assessment", "assess", "has_dui", "planned_editor", "project_type", "same_editor"]


@dataclass(frozen=True)
class Assessment:
    """What carriers and ARS ask of a grappe: how much, and would it be admissible."""

    estimate: GrappeEstimate
    checklist: Checklist
    editor_referenced: bool | None


def assess(session: Session, grappe: Grappe, scale: Scale | None = None) -> Assessment:
    """Funding estimate and checklist of a stored grappe, from what its run's solver saw."""
    view = grappe_view(session, grappe, scale)
    if view.estimate is None:
        raise FundingError(view.estimate_error or "Estimation impossible.")
    return Assessment(
        estimate=view.estimate, checklist=view.checklist, editor_referenced=view.editor_referenced
    )
