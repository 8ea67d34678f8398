"""Read models of the public pages: the establishment search and the open campaigns.

The search runs in SQL only: an exact or prefix FINESS lookup (ET or EJ, primary key and
indexed column) when the query looks like a FINESS number, otherwise every word of the
query must appear in the names or the town (a hyphenated word as one phrase). Both sides
are compared folded (:func:`~matchmaker.models.establishments.search_key`: case, accents
and hyphens ignored, so « sainte-champ » finds « Sainte Champ »): the query here, the
establishment in its ``search_text`` column, set on every write and indexed by trigrams on
PostgreSQL (``pg_trgm``), so that ``LIKE '%word%'`` does not scan the table. Results are paginated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS, PROGRAMME_REGIONS, REGIONS
from matchmaker.models import Establishment, Organisation
from matchmaker.models.campaigns import Campaign
from matchmaker.models.establishments import search_key
from matchmaker.vocabulary import CampaignStatus

T = TypeVar("T")

#: A FINESS number or its beginning: digits, with 2A/2B for Corsica.
FINESS_PREFIX = re.compile(r"^(?:\d{2}|2[AB])[0-9]{1,7}$")
MIN_QUERY_LENGTH = 2


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results."""

    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True)
class EstablishmentHit:
    finess_et: str
    finess_ej: str
    name: str
    commune: str | None
    department: str
    category: str | None
    champ: str | None
    is_essms: bool
    organisation: str | None


def fold_query(text: str) -> str:
    """Upper-case without accents, spaces collapsed, as FINESS writes names."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.upper().split())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: The columns a search returns (no ORM entities: one light row per hit).
HIT_COLUMNS = (
    Establishment.finess_et,
    Establishment.finess_ej,
    func.coalesce(Establishment.long_name, Establishment.short_name),
    Establishment.commune,
    Establishment.department,
    Establishment.category_label,
    Establishment.champ,
    Establishment.is_essms,
    Organisation.name,
)


def _search_conditions(query: str) -> list[Any] | None:
    folded = fold_query(query)
    if len(folded) < MIN_QUERY_LENGTH:
        return None
    compact = folded.replace(" ", "").replace(".", "")
    if FINESS_PREFIX.match(compact):
        if len(compact) == 9:
            return [or_(Establishment.finess_et == compact, Establishment.finess_ej == compact)]
        pattern = _escape_like(compact) + "%"
        return [
            or_(
                Establishment.finess_et.like(pattern, escape="\\"),
                Establishment.finess_ej.like(pattern, escape="\\"),
            )
        ]
    # Each word typed must appear; a hyphenated word is one phrase (« sainte-champ »
    # finds « Sainte Champ », not « Sainte Marie » in « Champagne »).
    terms = [key for key in (search_key(word) for word in query.split()) if key]
    if not terms:
        return None
    return [
        Establishment.search_text.like(f"%{_escape_like(term)}%", escape="\\") for term in terms
    ]


def search_establishments(
    session: Session, query: str, *, page: int = 1, per_page: int = 25, essms_only: bool = True
) -> Page[EstablishmentHit]:
    """Open establishments matching ``query`` (FINESS, name or commune), by name.

    One scan: the total comes with the page (``count(*) OVER ()``).
    """
    page = max(1, page)
    conditions = _search_conditions(query)
    if conditions is None:
        return Page(items=[], number=1, per_page=per_page, total=0)
    statement = (
        select(*HIT_COLUMNS, func.count().over())
        .join(Establishment.organisation)
        .where(Establishment.is_open.is_(True), *conditions)
    )
    if essms_only:
        statement = statement.where(Establishment.is_essms.is_(True))
    rows = session.execute(
        statement.order_by(Establishment.short_name, Establishment.finess_et)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = rows[0][-1]
    elif page > 1:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    else:
        total = 0
    hits = [EstablishmentHit(*cast(tuple[Any, ...], row[:-1])) for row in rows]
    return Page(items=hits, number=page, per_page=per_page, total=total)


@dataclass(frozen=True)
class RegionChoice:
    code: str
    name: str


def region_choices() -> list[RegionChoice]:
    """The 18 regions of the programme, by name."""
    return sorted(
        (RegionChoice(code, REGIONS[code].name) for code in PROGRAMME_REGIONS),
        key=lambda region: region.name,
    )


def region_name(code: str | None) -> str | None:
    return REGIONS[code].name if code in REGIONS else None


def open_campaigns(session: Session, region: str | None = None) -> list[Campaign]:
    """Campaigns open for declarations, of one region when given: those of the region
    itself and those covering one of its departments."""
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.OPEN)
            .order_by(Campaign.closes_on, Campaign.name)
        )
    )
    if region is None:
        return campaigns
    departments = {code for code, dep in DEPARTMENTS.items() if dep.region_code == region}
    return [
        campaign
        for campaign in campaigns
        if campaign.region == region or departments & set(campaign.departments or ())
    ]


def establishment(session: Session, finess_et: str) -> Establishment | None:
    return session.get(Establishment, finess_et)
