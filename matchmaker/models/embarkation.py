"""Embarkation lists kept by ARS: ESSMS already funded by ESMS numérique or by SONS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, FinessNumber, utcnow


class Embarkation(Base):
    """One ESSMS embarked in one scheme (at most one row per ESSMS and scheme).

    ``esms_numerique``: already funded by the programme, so not a candidate any more.
    ``sons``: a SONS order for ``editor``, which locks the ESSMS to that editor.
    Re-importing the same list is a no-op: rows are keyed by (finess_et, scheme).
    """

    __tablename__ = "embarkations"
    __table_args__ = (
        UniqueConstraint("finess_et", "scheme"),
        CheckConstraint("scheme IN ('esms_numerique', 'sons')", name="scheme_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finess_et: Mapped[FinessNumber] = mapped_column(
        ForeignKey("establishments.finess_et"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(16))
    editor_raw: Mapped[str | None] = mapped_column(String(200))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    project: Mapped[str | None] = mapped_column(String(200))
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_line: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Embarkation {self.finess_et} {self.scheme}>"
