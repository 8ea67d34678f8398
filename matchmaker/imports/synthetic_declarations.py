"""Demo files for the ESSMS of a database: the synthetic editor referential imported, a
messy declarations file and an ARS embarkation list written (``grappes demo``, tests and
benches). The files themselves are drawn by ``importers.synthetic_declarations`` (pure);
this module reads the ESSMS they answer for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import synthetic_declarations as synthetic
from importers.reports import ImportSummary
from importers.synthetic_declarations import DemoDeclarations, DemoEssms, SyntheticEditor
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


def write_demo_declarations(
    session: Session,
    campaign: str,
    path: Path,
    *,
    seed: int = 0,
    sample: float = 0.6,
    referential: Sequence[SyntheticEditor] | None = None,
    error_rate: float = 0.01,
    limit: int | None = None,
) -> DemoDeclarations:
    """A messy declarations file for a sample of the open ESSMS of the database (bounded by
    the campaign's departments when it has some); see
    ``importers.synthetic_declarations.write_demo_declarations``."""
    return synthetic.write_demo_declarations(
        open_essms(session, campaign),
        campaign,
        path,
        seed=seed,
        sample=sample,
        referential=referential,
        error_rate=error_rate,
        limit=limit,
    )


def write_demo_embarked(
    session: Session,
    path: Path,
    *,
    seed: int = 0,
    funded_share: float = 0.08,
    sons_share: float = 0.1,
    referential: Sequence[SyntheticEditor] | None = None,
) -> int:
    """An ARS embarkation list for the open ESSMS of the database; see
    ``importers.synthetic_declarations.write_demo_embarked``. Returns the number of rows."""
    numbers = [essms.finess_et for essms in open_essms(session)]
    return synthetic.write_demo_embarked(
        numbers,
        path,
        seed=seed,
        funded_share=funded_share,
        sons_share=sons_share,
        referential=referential,
    )
