"""The editor referential: editors of DUI software, their solutions, and known spellings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, utcnow, vocabulary_type
from matchmaker.vocabulary import EditorMatchStatus

#: Where an alias comes from.
ALIAS_ORIGINS = ("referential", "confirmed", "import")
#: Review status of a raw editor name the matcher could not place on its own.
MATCH_STATUSES = EditorMatchStatus.values()


class Editor(Base):
    """An editor (éditeur) of DUI software.

    ``key`` is the normalised name (``importers.editor_names.normalise_name``): two
    spellings with the same key are the same editor.
    """

    __tablename__ = "editors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    solutions: Mapped[list[Solution]] = relationship(
        back_populates="editor", order_by="Solution.name"
    )

    def __repr__(self) -> str:
        return f"<Editor {self.id} {self.name!r}>"


class Solution(Base):
    """A DUI product of an editor, référencé Ségur or not."""

    __tablename__ = "solutions"
    __table_args__ = (UniqueConstraint("editor_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("editors.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120))
    reference_segur: Mapped[bool] = mapped_column(Boolean, default=False)

    editor: Mapped[Editor] = relationship(back_populates="solutions")

    def __repr__(self) -> str:
        return f"<Solution {self.id} {self.name!r}>"


class EditorAlias(Base):
    """A known spelling of an editor (or of one of its solutions): an exact-key lookup.

    ``origin``: ``referential`` (given with the referential), ``confirmed`` (a reviewed
    match) or ``import`` (accepted automatically during an import).
    """

    __tablename__ = "editor_aliases"
    __table_args__ = (
        CheckConstraint("origin IN ('referential', 'confirmed', 'import')", name="origin_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    alias: Mapped[str] = mapped_column(String(200))
    editor_id: Mapped[int] = mapped_column(ForeignKey("editors.id"), index=True)
    solution_id: Mapped[int | None] = mapped_column(ForeignKey("solutions.id"))
    origin: Mapped[str] = mapped_column(String(12), default="referential")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    editor: Mapped[Editor] = relationship()


class EditorMatch(Base):
    """A raw editor name waiting for a person: proposed (middle band) or unmatched.

    One row per normalised spelling (``key``); ``occurrences`` counts the declaration rows
    that used it. Confirming creates an ``EditorAlias``, so the spelling never asks twice;
    rejecting keeps it unmatched for good.
    """

    __tablename__ = "editor_matches"
    __table_args__ = (
        CheckConstraint(f"status IN {MATCH_STATUSES!r}", name="status_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_text: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    suggested_editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id"))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[EditorMatchStatus] = mapped_column(
        vocabulary_type(EditorMatchStatus, 12), default=EditorMatchStatus.PENDING, index=True
    )
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    resolved_editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    suggested_editor: Mapped[Editor | None] = relationship(foreign_keys=[suggested_editor_id])
    resolved_editor: Mapped[Editor | None] = relationship(foreign_keys=[resolved_editor_id])
