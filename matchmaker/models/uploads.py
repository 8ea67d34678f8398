"""Files uploaded to a campaign from the site, their dry-run preview and their import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow, vocabulary_type
from matchmaker.vocabulary import UploadKind, UploadStatus

#: What a file holds: a FINESS extract, a declarations file, an embarkation list.
UPLOAD_KINDS = UploadKind.values()
#: uploaded → previewing → previewed (or refused) → loading → loaded (or failed);
#: ``discarded`` when the user drops it.
UPLOAD_STATUSES = UploadStatus.values()

UPLOAD_KIND_LABELS = UploadKind.labels()
#: Kinds only an administrator may upload: FINESS is the national register.
ADMIN_UPLOAD_KINDS = frozenset({UploadKind.FINESS})


class Upload(Base):
    """One uploaded file. It is stored under ``UPLOAD_FOLDER`` with a generated name
    (``stored_name``); ``original_name`` is only shown. ``preview`` holds the dry run's
    counts and every error and warning with its line; ``outcome`` the real import's."""

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint(f"kind IN {UPLOAD_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {UPLOAD_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[UploadKind] = mapped_column(vocabulary_type(UploadKind, 16))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: csv | xlsx | finess_csv | finess_json, from the content (never the extension).
    detected_format: Mapped[str] = mapped_column(String(16))
    status: Mapped[UploadStatus] = mapped_column(
        vocabulary_type(UploadStatus, 12), default=UploadStatus.PREVIEWING
    )
    preview: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    preview_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    load_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def kind_label(self) -> str:
        return UploadKind(self.kind).label

    @property
    def status_label(self) -> str:
        return UploadStatus(self.status).label

    def __repr__(self) -> str:
        return f"<Upload {self.id} {self.kind} {self.original_name!r}>"
