"""What an estimate holds: lines, per-OG breakdown, payments, and their JSON form.

Produced by :mod:`matchmaker.funding.estimate`; plain frozen dataclasses whose
``to_dict`` gives the JSON of ``grappes funding --json``. Amounts are integers in euros.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from matchmaker.funding.scales import ProjectType


class LineCode(StrEnum):
    """The funding lines of an estimate."""

    USAGE = "usage"
    SOFTWARE = "software"
    HARDWARE = "hardware"
    PROJECT_SUPPORT = "project_support"
    PROCUREMENT = "procurement"
    SONS = "sons"


class Aap(StrEnum):
    """The call for projects a grappe applies to, by its size."""

    REGIONAL = "regional"
    NATIONAL = "national"

    @property
    def label(self) -> str:
        """French name shown to users."""
        return "AAP régional" if self is Aap.REGIONAL else "AAP national"


@dataclass(frozen=True)
class FundingLine:
    """One line of the breakdown: ``quantity × unit_eur = amount_eur``.

    Usage and software lines cover a range of ranks of one project type; ``is_maximum``
    marks the small-OG extras, which the ARS grants case by case.
    """

    code: LineCode
    label: str
    quantity: int
    unit_eur: int
    amount_eur: int
    is_maximum: bool = False
    project_type: ProjectType | None = None
    first_rank: int | None = None
    last_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "code": self.code.value,
            "label": self.label,
            "quantity": self.quantity,
            "unit_eur": self.unit_eur,
            "amount_eur": self.amount_eur,
            "is_maximum": self.is_maximum,
            "project_type": self.project_type.value if self.project_type else None,
            "first_rank": self.first_rank,
            "last_rank": self.last_rank,
        }


@dataclass(frozen=True)
class OgFunding:
    """What one OG's ESSMS bring: usage, software, hardware maximum, and SONS to the editor.

    Project support and procurement support are grappe-wide (for the carrier) and appear
    only in the lines of the estimate.
    """

    finess_ej: str
    og_essms: int
    essms_in_grappe: int
    acquisition_essms: int
    montee_version_essms: int
    overseas_corsica: bool
    small: bool
    usage_eur: int
    software_eur: int
    hardware_max_eur: int
    sons_per_essms_eur: int
    sons_eur: int

    @property
    def total_eur(self) -> int:
        """Usage, software and the hardware maximum of this OG's ESSMS (SONS excluded)."""
        return self.usage_eur + self.software_eur + self.hardware_max_eur

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "finess_ej": self.finess_ej,
            "og_essms": self.og_essms,
            "essms_in_grappe": self.essms_in_grappe,
            "acquisition_essms": self.acquisition_essms,
            "montee_version_essms": self.montee_version_essms,
            "overseas_corsica": self.overseas_corsica,
            "small": self.small,
            "usage_eur": self.usage_eur,
            "software_eur": self.software_eur,
            "hardware_max_eur": self.hardware_max_eur,
            "sons_per_essms_eur": self.sons_per_essms_eur,
            "sons_eur": self.sons_eur,
            "total_eur": self.total_eur,
        }


@dataclass(frozen=True)
class Payment:
    """One payment of the schedule."""

    label: str
    percent: int
    amount_eur: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {"label": self.label, "percent": self.percent, "amount_eur": self.amount_eur}


@dataclass(frozen=True)
class GrappeEstimate:
    """The funding of a grappe (or of a quick, grappe-less estimate)."""

    instruction: str
    editor_referenced: bool
    essms: int
    aap: Aap
    usage_eur: int
    software_eur: int
    small_og_max_eur: int
    sons_eur: int
    lines: tuple[FundingLine, ...]
    sons_lines: tuple[FundingLine, ...]
    ogs: tuple[OgFunding, ...]
    payments: tuple[Payment, ...]
    deadlines_months: tuple[tuple[ProjectType, int], ...]
    notes: tuple[str, ...]

    @property
    def total_eur(self) -> int:
        """Usage + software + small-OG maxima (SONS is paid to the editor, apart)."""
        return self.usage_eur + self.software_eur + self.small_og_max_eur

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (the ``--json`` output of ``grappes funding``)."""
        return {
            "instruction": self.instruction,
            "editor_referenced": self.editor_referenced,
            "essms": self.essms,
            "aap": self.aap.value,
            "usage_eur": self.usage_eur,
            "software_eur": self.software_eur,
            "small_og_max_eur": self.small_og_max_eur,
            "sons_eur": self.sons_eur,
            "total_eur": self.total_eur,
            "lines": [line.to_dict() for line in self.lines],
            "sons_lines": [line.to_dict() for line in self.sons_lines],
            "ogs": [og.to_dict() for og in self.ogs],
            "payments": [payment.to_dict() for payment in self.payments],
            "deadlines_months": {kind.value: months for kind, months in self.deadlines_months},
            "notes": list(self.notes),
        }
