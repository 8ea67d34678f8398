"""The record of each FINESS import."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow


class FinessImport(Base):
    """One import of a FINESS extract (legacy CSV or FINESS+ JSON) and its counts."""

    __tablename__ = "finess_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    #: legacy_csv | finess_plus_json
    file_format: Mapped[str] = mapped_column(String(24))
    ej_file_name: Mapped[str | None] = mapped_column(String(255))
    extract_date: Mapped[date | None] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    closed_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    organisation_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The rejected lines: [{"line": n, "column": ..., "reason": ...}], capped.
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
