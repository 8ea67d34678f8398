"""Matchmaking campaigns: a collectif SI MS or an ARS collects declarations, then solves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow, vocabulary_type
from matchmaker.vocabulary import CampaignStatus

#: Life cycle of a campaign.
CAMPAIGN_STATUSES = CampaignStatus.values()


class Campaign(Base):
    """One campaign: a named scope (departments, or a region) and a time window.

    Declarations are collected within a campaign; the solver reads its ``solver_params``.
    Kept minimal here: the campaign console extends it.
    """

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(f"status IN {CAMPAIGN_STATUSES!r}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: INSEE region code when the campaign covers a whole region.
    region: Mapped[str | None] = mapped_column(String(3))
    #: INSEE department codes covered (empty: the region, or unrestricted).
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[CampaignStatus] = mapped_column(
        vocabulary_type(CampaignStatus, 12), default=CampaignStatus.DRAFT
    )
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    solver_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # --- the campaign console (matchmaker/campaigns) ---
    description: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The solver run shown to the organisations (no foreign key: runs refer to campaigns).
    published_run_id: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name!r}>"


class CampaignOwner(Base):
    """A collectif user who runs a campaign (a campaign has one or more)."""

    __tablename__ = "campaign_owners"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
