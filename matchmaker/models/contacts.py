"""The ARS desk's contact log: each action towards an ESSMS or an OG, never deleted.

A new action on a target supersedes the target's current one (``is_current`` false,
``superseded_by_id`` set): the current row carries the target's pipeline stage, the
superseded rows are its history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, FinessNumber, utcnow, vocabulary_type
from matchmaker.vocabulary import ContactChannel, ContactStage

#: Channels of a contact action.
CHANNELS = ContactChannel.values()
#: Pipeline stages, in order: to contact → contacted → interested → in a grappe → embarked.
STAGES = ContactStage.values()


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class ContactAction(Base):
    """One action of an ARS team towards an ESSMS (``finess_et`` set) or an OG (only
    ``finess_ej`` set), within the log of one region.

    At most one current action per target and region (partial unique indexes); an ESSMS
    action also records the ESSMS's OG in ``finess_ej``.
    """

    __tablename__ = "contact_actions"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        CheckConstraint(_in("stage", STAGES), name="stage_known"),
        Index(
            "uq_contact_actions_current_essms",
            "region",
            "finess_et",
            unique=True,
            sqlite_where=text("is_current AND finess_et IS NOT NULL"),
            postgresql_where=text("is_current AND finess_et IS NOT NULL"),
        ),
        Index(
            "uq_contact_actions_current_og",
            "region",
            "finess_ej",
            unique=True,
            sqlite_where=text("is_current AND finess_et IS NULL"),
            postgresql_where=text("is_current AND finess_et IS NULL"),
        ),
        # Lookups by ESSMS carry the region (and often is_current): this index must match
        # more of their equalities than any index led by the region, or SQLite, without
        # statistics, scans a whole region's log for each ESSMS.
        Index("ix_contact_actions_finess_et_region", "finess_et", "region", "is_current"),
        Index("ix_contact_actions_region", "region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: INSEE code of the region whose log holds the action.
    region: Mapped[str] = mapped_column(String(3))
    finess_et: Mapped[FinessNumber | None] = mapped_column(ForeignKey("establishments.finess_et"))
    finess_ej: Mapped[FinessNumber] = mapped_column(
        ForeignKey("organisations.finess_ej"), index=True
    )
    acted_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[ContactChannel] = mapped_column(vocabulary_type(ContactChannel, 8))
    outcome: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[ContactStage] = mapped_column(vocabulary_type(ContactStage, 12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Kept for the record when the account changes (the log names who acted).
    user_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("contact_actions.id"))

    @property
    def target_kind(self) -> str:
        """``essms`` or ``og``."""
        return "essms" if self.finess_et else "og"

    def __repr__(self) -> str:
        flag = "" if self.is_current else " (remplacée)"
        target = self.finess_et or self.finess_ej
        return f"<ContactAction {self.id} {target} {self.stage}{flag}>"
