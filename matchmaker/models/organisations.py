"""Organisations gestionnaires (OG), identified by their FINESS juridique (EJ)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, FinessNumber, utcnow

if TYPE_CHECKING:
    from matchmaker.models.establishments import Establishment


class Organisation(Base):
    """A legal entity running one or more ESSMS.

    Created from the FINESS EJ of each establishment; the optional legal-entity extract
    (cs1100501) fills name, legal status and SIREN. ``essms_count`` is the number of open
    ESSMS of the OG in FINESS, recomputed by each FINESS import.
    """

    __tablename__ = "organisations"

    finess_ej: Mapped[FinessNumber] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    long_name: Mapped[str | None] = mapped_column(String(200))
    legal_status_code: Mapped[str | None] = mapped_column(String(4))
    legal_status_label: Mapped[str | None] = mapped_column(String(120))
    #: public | prive_non_lucratif | prive_commercial (from the legal status), when known.
    legal_sector: Mapped[str | None] = mapped_column(String(24))
    siren: Mapped[str | None] = mapped_column(String(9))
    siret: Mapped[str | None] = mapped_column(String(14))
    department: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[str | None] = mapped_column(String(250))
    phone: Mapped[str | None] = mapped_column(String(20))
    #: Known e-mail domain; sign-ups from that domain are attached automatically.
    email_domain: Mapped[str | None] = mapped_column(String(120))
    essms_count: Mapped[int] = mapped_column(Integer, default=0)
    establishment_count: Mapped[int] = mapped_column(Integer, default=0)
    created_on: Mapped[date | None] = mapped_column(Date)
    last_import_id: Mapped[int | None] = mapped_column(ForeignKey("finess_imports.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    #: The OG's establishments (open or closed), for joins; load them explicitly.
    establishments: Mapped[list[Establishment]] = relationship(
        back_populates="organisation", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.finess_ej} {self.name!r}>"
