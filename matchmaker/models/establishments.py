"""Establishments (FINESS ET), ESSMS or not, with WGS84 coordinates."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Date, DateTime, Float, ForeignKey, Index, String, event
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from matchmaker.models.base import Base, FinessNumber, utcnow
from matchmaker.models.organisations import Organisation

#: Longest ``search_text`` (names and town, folded).
SEARCH_TEXT_LENGTH = 500
#: PostgreSQL extensions of the schema: trigram search, unaccent for SQL backfills, and
#: cube for the spatial index.
POSTGRESQL_EXTENSIONS = ("pg_trgm", "unaccent", "cube")
#: A point as a zero-size ``cube`` on the unit sphere (earthdistance's ``ll_to_earth``
#: without its search-path-dependent ``earth()``), schema-qualified, NULL without
#: coordinates (``cube`` functions are strict): the expression of the GiST index of the
#: neighbour search on PostgreSQL (see :func:`within_km`).
EARTH_POINT_SQL = (
    "public.cube(public.cube(public.cube(cos(radians(latitude)) * cos(radians(longitude))), "
    "cos(radians(latitude)) * sin(radians(longitude))), sin(radians(latitude)))"
)
EARTH_RADIUS_KM = 6371.0088
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def search_key(*texts: str | None) -> str:
    """Lower case, accents and ligatures undone, every other character a space: how the
    search compares names and towns (« Sainte-Champ », « SAINTE CHAMP » and « sainte
    champ » all give ``sainte champ``). PostgreSQL's ``unaccent`` gives the same."""
    joined = " ".join(text for text in texts if text).translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", joined)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", plain.lower()).strip()[:SEARCH_TEXT_LENGTH]


def within_km(latitude: float, longitude: float, radius_km: float) -> Any:
    """PostgreSQL condition served by the GiST index: the establishment lies in the cube
    enclosing the ball of ``radius_km`` around the point (a superset of the circle: the
    exact distance is checked afterwards). Other databases use the latitude/longitude box
    and its index."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    chord = 2 * math.sin(min(radius_km / EARTH_RADIUS_KM, math.pi) / 2)
    return sql_text(
        "public.cube_enlarge(public.cube(ARRAY[:earth_x, :earth_y, :earth_z]::float8[]), "
        f":earth_chord, 3) OPERATOR(public.@>) {EARTH_POINT_SQL}"
    ).bindparams(
        earth_x=math.cos(lat) * math.cos(lon),
        earth_y=math.cos(lat) * math.sin(lon),
        earth_z=math.sin(lat),
        earth_chord=chord,
    )


def create_postgresql_extensions(connection: Connection) -> None:
    """``CREATE EXTENSION`` for the schema's extensions, in ``public`` (shared by every
    schema of the database), one creator at a time."""
    connection.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext('grappes.extensions'))"))
    for name in POSTGRESQL_EXTENSIONS:
        connection.execute(sql_text(f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA public'))


class Establishment(Base):
    """An establishment of the FINESS extract (``structureet`` line or FINESS+ EGE).

    ``department`` is the INSEE code (``01``…``95``, ``2A``, ``2B``, ``971``…``976``, ``975``
    Saint-Pierre-et-Miquelon, ``986`` Wallis-et-Futuna): FINESS's own ``9A``…``9J`` codes
    are translated at import. ``is_essms`` and ``champ`` come from the category table
    (``importers/data/categories.csv``). Establishments are never deleted: one missing
    from a newer extract is marked closed (``is_open`` false, ``closed_on`` set).
    """

    __tablename__ = "establishments"
    __table_args__ = (
        Index("ix_establishments_department_essms", "department", "is_essms"),
        Index("ix_establishments_region", "region"),
        # The neighbour search's bounding box (matchmaker/organisations/neighbours.py).
        Index("ix_establishments_latitude_longitude", "latitude", "longitude"),
        # The search (matchmaker/public/services.py): trigrams on PostgreSQL, so that
        # ``LIKE '%word%'`` uses the index; a plain index elsewhere.
        # The neighbour search on PostgreSQL: a GiST index of each point on the sphere.
        Index("ix_establishments_earth", sql_text(EARTH_POINT_SQL), postgresql_using="gist").ddl_if(
            dialect="postgresql"
        ),
        Index(
            "ix_establishments_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "public.gin_trgm_ops"},
        ),
    )

    finess_et: Mapped[FinessNumber] = mapped_column(primary_key=True)
    finess_ej: Mapped[FinessNumber] = mapped_column(
        ForeignKey("organisations.finess_ej"), index=True
    )
    short_name: Mapped[str] = mapped_column(String(120))
    long_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(250))
    postcode: Mapped[str | None] = mapped_column(String(5))
    commune: Mapped[str | None] = mapped_column(String(120))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    department: Mapped[str] = mapped_column(String(3))
    region: Mapped[str | None] = mapped_column(String(3))
    phone: Mapped[str | None] = mapped_column(String(20))
    siret: Mapped[str | None] = mapped_column(String(14))
    category_code: Mapped[str | None] = mapped_column(String(4))
    category_label: Mapped[str | None] = mapped_column(String(160))
    aggregate_code: Mapped[str | None] = mapped_column(String(4))
    aggregate_label: Mapped[str | None] = mapped_column(String(160))
    champ: Mapped[str | None] = mapped_column(String(3))
    is_essms: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: The FINESS source text of the coordinates (geocoder, CRS) as read.
    coord_source: Mapped[str | None] = mapped_column(String(200))
    #: EPSG code the coordinates were projected in before reprojection to WGS84.
    coord_epsg: Mapped[int | None]
    #: Placed on the commune centroid rather than the address.
    coord_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date | None] = mapped_column(Date)
    authorised_on: Mapped[date | None] = mapped_column(Date)
    finess_updated_on: Mapped[date | None] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    #: Digest of the imported fields: an unchanged line is skipped on re-import.
    content_hash: Mapped[str | None] = mapped_column(String(32))
    #: Names and town as the search compares them (:func:`search_key`), set on every write.
    search_text: Mapped[str | None] = mapped_column(String(SEARCH_TEXT_LENGTH))
    last_import_id: Mapped[int | None] = mapped_column(ForeignKey("finess_imports.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    organisation: Mapped[Organisation] = relationship(
        back_populates="establishments", lazy="joined", innerjoin=True
    )

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:
        return f"<Establishment {self.finess_et} {self.short_name!r}>"


@event.listens_for(Establishment, "before_insert")
@event.listens_for(Establishment, "before_update")
def _fill_search_text(_mapper: Mapper[Any], _connection: Connection, target: Establishment) -> None:
    """Objects written through the ORM; the FINESS import sets it in its own rows."""
    target.search_text = search_key(target.short_name, target.long_name, target.commune)


@event.listens_for(Establishment.__table__, "before_create")
def _extensions(_table: Any, connection: Connection, **_: Any) -> None:
    """``create_all`` (tests) needs the extensions the migrations create."""
    if connection.dialect.name == "postgresql":
        create_postgresql_extensions(connection)
