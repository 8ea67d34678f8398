"""Outgoing mail: always in the outbox; sent over SMTP when a server is configured; an SMTP
failure is recorded, never loses the mail."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from matchmaker.mail import MailSettings, send_mail


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message (no TLS, no auth)."""

    received: list[str]

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith(("MAIL", "RCPT")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go ahead")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data.decode())
                self.server.received.append("".join(body))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.TCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_without_server_the_mail_stays_in_the_outbox(db_session: Session) -> None:
    mail = send_mail(db_session, MailSettings(), to="a@b.fr", subject="Sujet", body="Texte")
    assert mail.id is not None and mail.sent_at is None and mail.error is None


def test_smtp_server_receives_the_mail(
    db_session: Session, smtp_server: socketserver.TCPServer
) -> None:
    settings = MailSettings(server="127.0.0.1", port=smtp_server.server_address[1], use_tls=False)
    mail = send_mail(db_session, settings, to="a@b.fr", subject="Bienvenue", body="Bonjour")
    assert mail.sent_at is not None and mail.error is None
    (received,) = smtp_server.received  # type: ignore[attr-defined]
    assert "Subject: Bienvenue" in received and "Bonjour" in received


def test_smtp_failure_is_recorded(db_session: Session) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = MailSettings(server="127.0.0.1", port=port, use_tls=False)
    mail = send_mail(db_session, settings, to="a@b.fr", subject="Sujet", body="Texte")
    assert mail.sent_at is None and mail.error
