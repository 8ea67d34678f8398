"""The database side of the demo files (``grappes demo``, tests and benches): the synthetic
editor referential imported, and the open ESSMS that the demo declarations file and ARS
embarkation list, drawn by ``importers.synthetic_declarations`` (pure), answer for."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import synthetic_declarations as synthetic
from importers.reports import ImportSummary
from importers.synthetic_declarations import DemoEssms
from matchmaker.imports.editors import import_editors
from matchmaker.models import Campaign, Establishment


def load_demo_referential(session: Session, directory: Path, *, seed: int = 0) -> ImportSummary:
    """Write the synthetic referential as ``editeurs.csv`` in ``directory`` and import it
    (flushed, not committed), as ``grappes import-editors`` would."""
    referential = synthetic.synthetic_referential(seed=seed)
    path = synthetic.write_referential_csv(directory / "editeurs.csv", referential)
    return import_editors(session, path)


def open_essms(session: Session, campaign: str | None = None) -> list[DemoEssms]:
    """The open ESSMS of the database in FINESS order, within the departments of the
    campaign named ``campaign`` when it exists and has some."""
    statement = select(
        Establishment.finess_et,
        Establishment.finess_ej,
        Establishment.department,
        Establishment.region,
        Establishment.champ,
    ).where(Establishment.is_essms.is_(True), Establishment.is_open.is_(True))
    scope = session.scalar(select(Campaign).where(Campaign.name == campaign)) if campaign else None
    if scope is not None and scope.departments:
        statement = statement.where(Establishment.department.in_(scope.departments))
    rows = session.execute(statement.order_by(Establishment.finess_et))
    return [DemoEssms(*row) for row in rows]
