"""Establishments (FINESS ET), ESSMS or not, with WGS84 coordinates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, FinessNumber, utcnow
from matchmaker.models.organisations import Organisation


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
