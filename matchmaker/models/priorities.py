"""Champ priorities an ARS sets for its "aller-vers" list (one weight per region and champ)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow


class ChampWeight(Base):
    """The weight of a champ in a region's priority score (a missing row means the
    ``ARS_DEFAULT_CHAMP_WEIGHT`` setting). Edited in place; the audit log keeps changes."""

    __tablename__ = "ars_champ_weights"
    __table_args__ = (
        UniqueConstraint("region", "champ"),
        CheckConstraint("weight >= 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(3))
    champ: Mapped[str] = mapped_column(String(3))
    weight: Mapped[int] = mapped_column(Integer)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
