"""Read services over establishments: the CSV export."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.categories import essms_label
from matchmaker.models import Establishment, Organisation

#: Columns of ``grappes export-establishments``, in order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "finess_et",
    "finess_ej",
    "name",
    "department",
    "region",
    "category",
    "champ",
    "is_essms",
    "latitude",
    "longitude",
    "category_label",
    "coord_approximate",
    "postcode",
    "commune",
    "organisation",
    "organisation_essms_count",
)


def _flag(value: bool) -> str:
    return "oui" if value else "non"


def export_establishments(
    session: Session,
    *,
    region: str | None = None,
    department: str | None = None,
    essms_only: bool = False,
) -> Iterator[dict[str, str]]:
    """Open establishments as export rows (text values), ordered by FINESS ET.

    Filters combine: a region code (INSEE, ``53``), a department code (INSEE, ``2A``,
    ``974``), ESSMS only. Streams from the database in batches.
    """
    e = Establishment
    statement = (
        select(
            e.finess_et,
            e.finess_ej,
            e.short_name,
            e.long_name,
            e.department,
            e.region,
            e.category_code,
            e.category_label,
            e.champ,
            e.is_essms,
            e.latitude,
            e.longitude,
            e.coord_approximate,
            e.postcode,
            e.commune,
            Organisation.name.label("og_name"),
            Organisation.essms_count.label("og_essms"),
        )
        .join(e.organisation)
        .where(e.is_open.is_(True))
        .order_by(e.finess_et)
        .execution_options(yield_per=1000)
    )
    if region:
        statement = statement.where(e.region == region)
    if department:
        statement = statement.where(e.department == department)
    if essms_only:
        statement = statement.where(e.is_essms.is_(True))
    for row in session.execute(statement):
        yield {
            "finess_et": row.finess_et,
            "finess_ej": row.finess_ej,
            "name": row.long_name or row.short_name,
            "department": row.department,
            "region": row.region or "",
            "category": row.category_code or "",
            "category_label": row.category_label or "",
            "champ": row.champ or "",
            "is_essms": essms_label(row.category_code, row.is_essms),
            "latitude": "" if row.latitude is None else f"{row.latitude:.6f}",
            "longitude": "" if row.longitude is None else f"{row.longitude:.6f}",
            "coord_approximate": _flag(row.coord_approximate),
            "postcode": row.postcode or "",
            "commune": row.commune or "",
            "organisation": row.og_name or "",
            "organisation_essms_count": str(row.og_essms),
        }
