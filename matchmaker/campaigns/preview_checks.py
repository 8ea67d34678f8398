"""Checks of a declarations file against its campaign, for the upload preview: rows about
ESSMS outside the campaign's departments, and ESSMS already embarked (funded). Both are
warnings: the rows are imported, but the collectif should know before confirming."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.declaration_columns import COLUMNS
from importers.declarations import parse
from importers.errors import RowError
from importers.spreadsheets import read_table
from matchmaker import formatting
from matchmaker.grappes.scope import campaign_scope
from matchmaker.models import Campaign, Establishment
from matchmaker.models.embarkation import Embarkation
from matchmaker.vocabulary import EmbarkationScheme

#: Counters the preview shows for these warnings.
OUTSIDE_LABEL = "Hors des départements de la campagne"
EMBARKED_LABEL = "ESSMS déjà embarqués"


def scope_warnings(
    session: Session, path: Path, campaign: Campaign
) -> tuple[list[RowError], dict[str, int]]:
    """One warning per row outside the campaign's departments or already embarked, and
    the two counts."""
    table = read_table(path, COLUMNS)
    rows, _ = parse(table)
    finess = {row.finess_et for row in rows}
    departments = dict(
        session.execute(
            select(Establishment.finess_et, Establishment.department).where(
                Establishment.finess_et.in_(finess)
            )
        ).all()
    )
    embarked = set(
        session.scalars(
            select(Embarkation.finess_et).where(
                Embarkation.scheme == EmbarkationScheme.ESMS_NUMERIQUE,
                Embarkation.finess_et.in_(finess),
            )
        )
    )
    scope = set(campaign_scope(campaign))
    scope_label = formatting.departments(sorted(scope))
    warnings: list[RowError] = []
    outside = already = 0
    for row in rows:
        department = departments.get(row.finess_et)
        if scope and department is not None and department not in scope:
            outside += 1
            warnings.append(
                RowError(
                    file=table.file,
                    line=row.line,
                    column="finess_et",
                    expected=f"un ESSMS des départements de la campagne ({scope_label})",
                    found=f"{row.finess_et}, {formatting.department(department)}",
                    severity="warning",
                    hint="cet ESSMS ne sera pas proposé dans une grappe de cette campagne",
                )
            )
        if row.finess_et in embarked:
            already += 1
            warnings.append(
                RowError(
                    file=table.file,
                    line=row.line,
                    column="finess_et",
                    expected="un ESSMS qui n'est pas encore embarqué",
                    found=row.finess_et,
                    severity="warning",
                    hint="cet ESSMS est déjà embarqué (financé) : il ne sera pas regroupé",
                )
            )
    return warnings, {OUTSIDE_LABEL: outside, EMBARKED_LABEL: already}
