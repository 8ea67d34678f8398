"""Self-declarations of ESSMS within a campaign, with their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from importers.vocabulary import CHAMPS, DUI_STATUSES, SONS_ORDERED, SONS_STATUSES
from matchmaker.models.base import Base, FinessNumber, utcnow, vocabulary_type
from matchmaker.models.editors import Editor
from matchmaker.vocabulary import DeclarationSource, DuiStatus, SonsStatus

__all__ = ["CHAMPS", "DUI_STATUSES", "SONS_ORDERED", "SONS_STATUSES", "Declaration"]

SOURCE_KINDS = DeclarationSource.values()


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IS NULL OR {column} IN ({quoted})"


def _clean(raw: str | None) -> str | None:
    """An unmatched editor name as typed, trimmed (it still groups identical spellings)."""
    text_ = " ".join((raw or "").split())
    return text_ or None


class Declaration(Base):
    """What an ESSMS declared in a campaign: its DUI, SONS, funding and willingness.

    History is kept: a new declaration for the same (campaign, ESSMS) sets the previous
    one's ``is_current`` to false and its ``superseded_by_id`` to the new row; at most one
    current declaration per (campaign, ESSMS), enforced by a partial unique index.
    ``editor_raw`` is the text as typed; ``editor_id`` the editor it was matched to (null
    until a match is accepted). ``department`` is the FINESS department of the ESSMS.
    """

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint(_in("champ", CHAMPS), name="champ_known"),
        CheckConstraint(_in("dui_status", DUI_STATUSES), name="dui_status_known"),
        CheckConstraint(_in("sons_status", SONS_STATUSES), name="sons_status_known"),
        CheckConstraint(f"source_kind IN {SOURCE_KINDS!r}", name="source_kind_known"),
        Index(
            "uq_declarations_current",
            "campaign_id",
            "finess_et",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_declarations_campaign_finess", "campaign_id", "finess_et"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    finess_et: Mapped[FinessNumber] = mapped_column(ForeignKey("establishments.finess_et"))
    editor_raw: Mapped[str | None] = mapped_column(String(200))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id"), index=True)
    champ: Mapped[str | None] = mapped_column(String(3))
    department: Mapped[str | None] = mapped_column(String(3))
    dui_status: Mapped[DuiStatus | None] = mapped_column(vocabulary_type(DuiStatus, 16))
    sons_status: Mapped[SonsStatus | None] = mapped_column(vocabulary_type(SonsStatus, 10))
    sons_editor_raw: Mapped[str | None] = mapped_column(String(200))
    sons_editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id"))
    already_funded: Mapped[bool | None] = mapped_column(Boolean)
    willing_carrier: Mapped[bool | None] = mapped_column(Boolean)
    #: "Express interest" from the site: wants to join a grappe.
    interested: Mapped[bool | None] = mapped_column(Boolean)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    comment: Mapped[str | None] = mapped_column(Text)
    source_kind: Mapped[DeclarationSource] = mapped_column(
        vocabulary_type(DeclarationSource, 8), default=DeclarationSource.FILE
    )
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_line: Mapped[int | None] = mapped_column(Integer)
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The user who declared on the site (no foreign key until the users table exists).
    declared_by_user_id: Mapped[int | None] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"))

    #: The matched DUI editor and SONS editor (None until a match is accepted).
    editor: Mapped[Editor | None] = relationship(foreign_keys=[editor_id])
    sons_editor: Mapped[Editor | None] = relationship(foreign_keys=[sons_editor_id])

    @property
    def editor_name(self) -> str | None:
        """The declared DUI editor: the referential's name when matched, else as typed."""
        return self.editor.name if self.editor is not None else _clean(self.editor_raw)

    @property
    def sons_editor_name(self) -> str | None:
        """The declared SONS editor, the same way."""
        return (
            self.sons_editor.name if self.sons_editor is not None else _clean(self.sons_editor_raw)
        )

    def __repr__(self) -> str:
        flag = "" if self.is_current else " (remplacée)"
        return f"<Declaration {self.id} {self.finess_et}{flag}>"
