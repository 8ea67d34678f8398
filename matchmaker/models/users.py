"""Accounts of the site and the mail they are sent.

A user has one role (``og``, ``collectif``, ``ars``, ``admin``). An OG representative is
attached to its organisation (FINESS EJ) once a collectif or an administrator approved the
request, or at once when its e-mail domain matches the organisation's known domain.
Collectif and ARS users work on one region (INSEE region code).
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.models.base import Base, FinessNumber, utcnow
from matchmaker.models.organisations import Organisation
from matchmaker.vocabulary import ApprovalStatus, Role


def _enum_values(kind: type[enum.Enum]) -> list[str]:
    return [member.value for member in kind]


class User(UserMixin, Base):
    """An account. ``finess_ej`` is set only once the attachment is approved;
    ``requested_finess_ej`` keeps the OG the user asked for at sign-up."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role NOT IN ('ars', 'collectif') OR region IS NOT NULL", name="region_for_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            length=12,
            values_callable=_enum_values,
            validate_strings=True,
            name="role",
        ),
        default=Role.OG,
    )
    finess_ej: Mapped[FinessNumber | None] = mapped_column(
        ForeignKey("organisations.finess_ej"), index=True
    )
    requested_finess_ej: Mapped[FinessNumber | None] = mapped_column(
        ForeignKey("organisations.finess_ej")
    )
    #: INSEE region code of a collectif or ARS user.
    region: Mapped[str | None] = mapped_column(String(3))
    #: Further regions an administrator granted (a collectif covering several regions).
    granted_regions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    #: The function the requester states at sign-up (shown to the approver).
    job_title: Mapped[str | None] = mapped_column(String(120))
    #: Bumped by logout, password change or reset, role, region or approval change and
    #: deactivation: a session cookie carrying an older version no longer logs in.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Set when an administrator deactivates the account (no login, sessions ended).
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approval_status: Mapped[ApprovalStatus] = mapped_column(
        Enum(
            ApprovalStatus,
            native_enum=False,
            length=12,
            values_callable=_enum_values,
            validate_strings=True,
            name="approval_status",
        ),
        default=ApprovalStatus.PENDING,
        index=True,
    )
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The user agrees that neighbouring ESSMS see its e-mail address.
    share_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[finess_ej])
    requested_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[requested_finess_ej]
    )

    def set_password(self, password: str) -> None:
        """Store a new password hash and end every existing session of the account."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Invalidate every session cookie issued so far (checked by the user loader)."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """Flask-Login's session identifier: the id and the session version, so that a
        cookie issued before :meth:`end_sessions` no longer matches."""
        return f"{self.id}:{self.session_version or 0}"

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    @property
    def regions(self) -> set[str]:
        """Every region the account works on: its own and those an administrator granted."""
        found = {self.region} if self.region else set()
        return found | set(self.granted_regions or ())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_attached(self) -> bool:
        """An OG user that may act for its organisation."""
        return (
            self.role == Role.OG
            and self.finess_ej is not None
            and self.approval_status == ApprovalStatus.APPROVED
        )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class OutboxMail(Base):
    """Every mail the site sends. ``sent_at`` is set when an SMTP server accepted it; mails
    written while no ``MAIL_SERVER`` is configured stay here (``sent_at`` null) for the
    administrators to read."""

    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(Integer)
