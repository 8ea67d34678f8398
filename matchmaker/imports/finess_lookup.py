"""The FINESS numbers the database knows, read once per import for the validators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.finess_lookup import EstablishmentIndex, EstablishmentRef
from matchmaker.models import Establishment, Organisation


def establishment_index(session: Session) -> EstablishmentIndex:
    """Every establishment and organisation (a few columns), in two queries, as the plain
    ``EstablishmentIndex`` the pure validators of ``importers`` check rows against."""
    rows = session.execute(
        select(
            Establishment.finess_et,
            Establishment.finess_ej,
            Establishment.short_name,
            Establishment.department,
            Establishment.commune,
            Establishment.champ,
            Establishment.is_essms,
            Establishment.is_open,
        )
    )
    establishments = {row[0]: EstablishmentRef(*row) for row in rows}
    organisations = dict(session.execute(select(Organisation.finess_ej, Organisation.name)).all())
    return EstablishmentIndex.build(establishments, organisations)
