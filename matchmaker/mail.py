"""Outgoing e-mail: every mail is recorded in the outbox; it is also sent over SMTP when
``MAIL_SERVER`` is configured.

The outbox row is the single source of truth: administrators read it on the site, the
tests read it to follow confirmation links, and ``sent_at`` tells whether an SMTP server
accepted the message.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.models import OutboxMail
from matchmaker.models.base import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    """The SMTP part of the configuration (``MAIL_*`` settings)."""

    server: str | None = None
    port: int = 587
    use_tls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "grappes@localhost"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            server=config.get("MAIL_SERVER") or None,
            port=int(config.get("MAIL_PORT") or 587),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=config.get("MAIL_FROM") or "grappes@localhost",
        )


def send_mail(
    session: Session,
    settings: MailSettings,
    *,
    to: str,
    subject: str,
    body: str,
    user_id: int | None = None,
) -> OutboxMail:
    """Record the mail in the outbox, then send it when an SMTP server is configured.

    An SMTP failure is logged and stored in ``error``; it never loses the mail, which an
    administrator can still read and forward.
    """
    mail = OutboxMail(to=to, subject=subject, body=body, user_id=user_id)
    session.add(mail)
    if settings.server:
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(settings.server, settings.port, timeout=10) as smtp:
                if settings.use_tls:
                    smtp.starttls()
                if settings.username and settings.password:
                    smtp.login(settings.username, settings.password)
                smtp.send_message(message)
            mail.sent_at = utcnow()
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("SMTP failed for %s: %s", to, exc)
            mail.error = str(exc)
    session.flush()
    return mail
