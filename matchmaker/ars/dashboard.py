"""The embarkation dashboard of a region (or one of its departments), computed in SQL.

Eligible ESSMS: open establishments of an ESSMS category (``is_open`` and ``is_essms``)
located in the region. Embarked: on an embarkation list, in ESMS numérique, in SONS or in
both. Rate: embarked / eligible. One aggregate query groups the eligible ESSMS by
department × champ × legal sector of the OG × OG size band and sums their embarkation
flags (at most a few thousand groups come back, never the establishments themselves); the
breakdowns are roll-ups of that cube. The contact log's pipeline is counted by a second query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, exists, func, literal, select
from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS, REGIONS, departments_of_region
from importers.legal_status import SECTOR_LABELS
from importers.vocabulary import CHAMP_LABELS, CHAMPS
from matchmaker.models import ContactAction, Embarkation, Establishment, Organisation
from matchmaker.models.contacts import STAGES
from matchmaker.vocabulary import ContactStage, EmbarkationScheme

#: French labels of the contact pipeline's stages.
STAGE_LABELS: dict[str, str] = ContactStage.labels()
UNKNOWN = "Non renseigné"


@dataclass
class Tally:
    """Counts of one group of eligible ESSMS. ``esms_numerique`` and ``sons`` include the
    ESSMS in ``both``."""

    eligible: int = 0
    esms_numerique: int = 0
    sons: int = 0
    both: int = 0

    def add(self, other: Tally) -> None:
        self.eligible += other.eligible
        self.esms_numerique += other.esms_numerique
        self.sons += other.sons
        self.both += other.both

    @property
    def embarked(self) -> int:
        """ESSMS on at least one embarkation list."""
        return self.esms_numerique + self.sons - self.both

    @property
    def not_embarked(self) -> int:
        return self.eligible - self.embarked

    @property
    def esms_numerique_only(self) -> int:
        return self.esms_numerique - self.both

    @property
    def sons_only(self) -> int:
        return self.sons - self.both

    @property
    def rate(self) -> float | None:
        """Embarked / eligible (None without eligible ESSMS)."""
        return self.embarked / self.eligible if self.eligible else None


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: a key (code), its French label and its counts."""

    key: str
    label: str
    tally: Tally


@dataclass
class Dashboard:
    """Every figure of the dashboard page and of its XLSX export."""

    region: str
    department: str | None
    total: Tally = field(default_factory=Tally)
    by_department: list[Row] = field(default_factory=list)
    by_champ: list[Row] = field(default_factory=list)
    by_sector: list[Row] = field(default_factory=list)
    by_size: list[Row] = field(default_factory=list)
    #: Current stage of the contact log's ESSMS and OG, by stage.
    essms_stages: dict[str, int] = field(default_factory=dict)
    og_stages: dict[str, int] = field(default_factory=dict)
    #: Non-embarked ESSMS with no action in the contact log yet.
    never_contacted: int = 0

    @property
    def scope_label(self) -> str:
        if self.department:
            dep = DEPARTMENTS[self.department]
            return f"{dep.name} ({dep.code})"
        return REGIONS[self.region].name

    @property
    def breakdowns(self) -> list[tuple[str, str, list[Row]]]:
        """(sheet/section title, key column title, rows), in page order."""
        return [
            ("Par département", "Département", self.by_department),
            ("Par champ", "Champ", self.by_champ),
            ("Par statut juridique de l'OG", "Statut juridique de l'OG", self.by_sector),
            ("Par taille d'OG", "Taille de l'OG (nombre d'ESSMS)", self.by_size),
        ]


def size_band_labels(bands: Sequence[int]) -> list[str]:
    """French labels of the OG size bands given by their ascending lower bounds:
    ``[1, 2, 5, 15]`` → ``1``, ``2 à 4``, ``5 à 14``, ``15 et plus``."""
    labels: list[str] = []
    for index, low in enumerate(bands):
        if index + 1 == len(bands):
            labels.append(f"{low} et plus")
            continue
        high = bands[index + 1] - 1
        labels.append(str(low) if high == low else f"{low} à {high}")
    return labels


def size_band_index(bands: Sequence[int]) -> ColumnElement[int]:
    """SQL: the index of the OG's size band (an OG below the first bound joins the first)."""
    whens = [
        (Organisation.essms_count >= low, index)
        for index, low in reversed(list(enumerate(bands)))
        if index > 0
    ]
    if not whens:
        return literal(0)
    return case(*whens, else_=0)


def embarkation_flags() -> Subquery:
    """SQL: one row per embarked establishment with two 0/1 flags, ``esms_numerique`` and
    ``sons`` (a small aggregate of the embarkation lists, joined once; correlated EXISTS
    per establishment made PostgreSQL's cost estimate, and its JIT, explode)."""
    return (
        select(
            Embarkation.finess_et.label("finess_et"),
            func.max(
                case((Embarkation.scheme == EmbarkationScheme.ESMS_NUMERIQUE, 1), else_=0)
            ).label("esms_numerique"),
            func.max(case((Embarkation.scheme == EmbarkationScheme.SONS, 1), else_=0)).label(
                "sons"
            ),
        )
        .group_by(Embarkation.finess_et)
        .subquery("flags")
    )


def eligible_filter(region: str, department: str | None) -> list[ColumnElement[bool]]:
    """SQL conditions of the eligible ESSMS of a region or department."""
    conditions: list[ColumnElement[bool]] = [
        Establishment.region == region,
        Establishment.is_open.is_(True),
        Establishment.is_essms.is_(True),
    ]
    if department:
        conditions.append(Establishment.department == department)
    return conditions


def not_embarked_condition() -> ColumnElement[bool]:
    """SQL: the establishment is on no embarkation list."""
    return ~exists().where(Embarkation.finess_et == Establishment.finess_et)


def build_dashboard(
    session: Session, region: str, department: str | None, config: Mapping[str, Any]
) -> Dashboard:
    """The dashboard of ``region``, or of ``department`` within it."""
    bands = [int(b) for b in config["ARS_OG_SIZE_BANDS"]]
    band_labels = size_band_labels(bands)
    flags = embarkation_flags()
    en = func.coalesce(flags.c.esms_numerique, 0)
    sons = func.coalesce(flags.c.sons, 0)
    band = size_band_index(bands).label("band")
    query = (
        select(
            Establishment.department,
            Establishment.champ,
            Organisation.legal_sector,
            band,
            func.count().label("eligible"),
            func.sum(en).label("en"),
            func.sum(sons).label("sons"),
            func.sum(en * sons).label("both"),
        )
        .join(Establishment.organisation)
        .outerjoin(flags, flags.c.finess_et == Establishment.finess_et)
        .where(*eligible_filter(region, department))
        .group_by(Establishment.department, Establishment.champ, Organisation.legal_sector, band)
    )
    dashboard = Dashboard(region=region, department=department)
    departments: dict[str, Tally] = {}
    champs: dict[str, Tally] = {}
    sectors: dict[str, Tally] = {}
    sizes: dict[int, Tally] = {}
    for dep, champ, sector, band_index, eligible, in_en, in_sons, in_both in session.execute(query):
        cell = Tally(int(eligible), int(in_en or 0), int(in_sons or 0), int(in_both or 0))
        dashboard.total.add(cell)
        departments.setdefault(dep, Tally()).add(cell)
        champs.setdefault(champ or "", Tally()).add(cell)
        sectors.setdefault(sector or "", Tally()).add(cell)
        sizes.setdefault(int(band_index or 0), Tally()).add(cell)

    scope_departments = [department] if department else departments_of_region(region)
    extra = sorted(set(departments) - set(scope_departments))
    dashboard.by_department = [
        Row(code, _department_label(code), departments.get(code, Tally()))
        for code in [*scope_departments, *extra]
    ]
    dashboard.by_champ = _ordered(champs, CHAMPS, champ_label)
    dashboard.by_sector = _ordered(sectors, tuple(SECTOR_LABELS), sector_label)
    dashboard.by_size = [
        Row(str(index), label, sizes.get(index, Tally())) for index, label in enumerate(band_labels)
    ]
    _count_stages(session, dashboard)
    return dashboard


def _department_label(code: str) -> str:
    dep = DEPARTMENTS.get(code)
    return f"{code} {dep.name}" if dep else code


def champ_label(code: str) -> str:
    """``PA — Personnes âgées``."""
    return f"{code} — {CHAMP_LABELS[code]}" if code in CHAMP_LABELS else code


def sector_label(code: str) -> str:
    """``Privé non lucratif``."""
    return SECTOR_LABELS[code].capitalize() if code in SECTOR_LABELS else code


def _ordered(
    tallies: dict[str, Tally], order: Sequence[str], label: Callable[[str], str]
) -> list[Row]:
    """Known keys in programme order (even when empty), then unexpected ones, then
    the unknown (empty key) last when present."""
    rows = [Row(key, label(key), tallies.get(key, Tally())) for key in order]
    rows += [Row(key, key, tallies[key]) for key in sorted(tallies) if key and key not in order]
    if "" in tallies:
        rows.append(Row("", UNKNOWN, tallies[""]))
    return rows


def _count_stages(session: Session, dashboard: Dashboard) -> None:
    """The contact pipeline: current stage of each ESSMS and OG of the log, and the
    non-embarked ESSMS never contacted. A department's dashboard counts the ESSMS of the
    department and every OG of the region's log (OG are not tied to one department)."""
    is_essms = ContactAction.finess_et.is_not(None)
    query = (
        select(ContactAction.stage, is_essms.label("essms"), func.count())
        .where(ContactAction.region == dashboard.region, ContactAction.is_current.is_(True))
        .group_by(ContactAction.stage, is_essms)
    )
    if dashboard.department:
        query = query.join(
            Establishment, Establishment.finess_et == ContactAction.finess_et, isouter=True
        ).where(
            (Establishment.department == dashboard.department) | ContactAction.finess_et.is_(None)
        )
    dashboard.essms_stages = dict.fromkeys(STAGES, 0)
    dashboard.og_stages = dict.fromkeys(STAGES, 0)
    for stage, essms, count in session.execute(query):
        target = dashboard.essms_stages if essms else dashboard.og_stages
        target[stage] = int(count)
    contacted = exists().where(
        ContactAction.finess_et == Establishment.finess_et,
        ContactAction.region == dashboard.region,
    )
    dashboard.never_contacted = int(
        session.scalar(
            select(func.count())
            .select_from(Establishment)
            .where(
                *eligible_filter(dashboard.region, dashboard.department),
                not_embarked_condition(),
                ~contacted,
            )
        )
        or 0
    )
