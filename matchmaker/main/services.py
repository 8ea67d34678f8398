"""Read models of the home page and of the administrators' imports log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from matchmaker.models import (
    Establishment,
    FinessImport,
    Grappe,
    GrappeMember,
    Organisation,
    SolverRun,
)
from matchmaker.models.campaigns import Campaign
from matchmaker.public.services import open_campaigns
from matchmaker.vocabulary import GrappeStatus


@dataclass(frozen=True)
class HomeFigures:
    """What a director wants to know: how many ESSMS are already in a grappe (proposed by
    a published run, or constituted), in the region or in France, and the open campaigns."""

    region: str | None
    essms: int
    in_grappe: int
    constituted: int
    campaigns: list[Campaign]

    @property
    def share(self) -> float | None:
        return self.in_grappe / self.essms if self.essms else None


def home_figures(session: Session, region: str | None = None) -> HomeFigures:
    """Counted in SQL; ``region`` restricts to the ESSMS of that region."""
    essms_filter: list[ColumnElement[bool]] = [
        Establishment.is_open.is_(True),
        Establishment.is_essms.is_(True),
    ]
    if region:
        essms_filter.append(Establishment.region == region)
    essms = session.scalar(select(func.count()).select_from(Establishment).where(*essms_filter))
    members = (
        select(func.count(distinct(GrappeMember.finess_et)))
        .join(Grappe, Grappe.id == GrappeMember.grappe_id)
        .join(SolverRun, SolverRun.id == Grappe.run_id)
        .join(GrappeMember.establishment)
        .where(SolverRun.published_at.is_not(None), *essms_filter)
    )
    in_grappe = session.scalar(members)
    constituted = session.scalar(members.where(Grappe.status == GrappeStatus.CONSTITUEE))
    return HomeFigures(
        region=region,
        essms=essms or 0,
        in_grappe=in_grappe or 0,
        constituted=constituted or 0,
        campaigns=open_campaigns(session, region),
    )


@dataclass(frozen=True)
class DepartmentCount:
    department: str
    establishments: int
    essms: int


@dataclass(frozen=True)
class ImportSummary:
    """What the database holds: totals, per department, and the latest imports."""

    establishments: int
    essms: int
    organisations: int
    geolocated: int
    departments: list[DepartmentCount]
    imports: list[FinessImport]


@dataclass(frozen=True)
class EstablishmentFigures:
    """The totals and the per-department counts (cacheable: plain values)."""

    establishments: int
    essms: int
    organisations: int
    geolocated: int
    departments: list[DepartmentCount]


def import_summary(
    session: Session, last_imports: int = 5, *, figures: EstablishmentFigures | None = None
) -> ImportSummary:
    """The figures (``figures`` when the caller kept them, see
    :mod:`matchmaker.ops.figures_cache`) and the latest imports."""
    figures = figures or establishment_figures(session)
    imports = list(
        session.scalars(select(FinessImport).order_by(FinessImport.id.desc()).limit(last_imports))
    )
    return ImportSummary(
        establishments=figures.establishments,
        essms=figures.essms,
        organisations=figures.organisations,
        geolocated=figures.geolocated,
        departments=figures.departments,
        imports=imports,
    )


def establishment_figures(session: Session) -> EstablishmentFigures:
    """Totals computed in SQL (never by loading every row)."""
    open_ = Establishment.is_open.is_(True)
    totals = session.execute(
        select(
            func.count(),
            func.count().filter(Establishment.is_essms.is_(True)),
            func.count(Establishment.latitude),
        ).where(open_)
    ).one()
    rows = session.execute(
        select(
            Establishment.department,
            func.count(),
            func.count().filter(Establishment.is_essms.is_(True)),
        )
        .where(open_)
        .group_by(Establishment.department)
        .order_by(Establishment.department)
    ).all()
    organisations = session.scalar(select(func.count()).select_from(Organisation)) or 0
    return EstablishmentFigures(
        establishments=totals[0],
        essms=totals[1],
        organisations=organisations,
        geolocated=totals[2],
        departments=[DepartmentCount(d, n, e) for d, n, e in rows],
    )
