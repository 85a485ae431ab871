"""Sending an email over SMTP (RFC 5321) with the standard library's ``smtplib``.

Security is ``starttls`` (RFC 3207: plain connection upgraded before anything is sent;
the default on port 587), ``tls`` (implicit TLS, RFC 8314: port 465) or ``none`` (a relay
on a trusted network). The server's certificate is verified against the system's CAs, or
``ca_file`` for a private CA. Credentials, when given, go only over TLS unless security is
``none``. Failures become one :class:`MailError` whose message never holds the password.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal, Protocol

__all__ = ["Email", "MailError", "Mailer", "SmtpMailer", "SmtpSettings"]

Security = Literal["starttls", "tls", "none"]


class MailError(Exception):
    """The email could not be handed to the SMTP server; the message says why."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str | None
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "scimhub@localhost"
    recipients: tuple[str, ...] = ()
    timeout: float = 30.0
    ca_file: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True, slots=True)
class Email:
    to: tuple[str, ...]
    subject: str
    text: str


class Mailer(Protocol):
    def send(self, email: Email) -> None:
        """Hand ``email`` to the server or raise :class:`MailError`."""
        ...


class SmtpMailer:
    """Sends with :class:`SmtpSettings`; one connection per email (emails are rare)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return self.settings.configured

    def recipients(self, wanted: Sequence[str]) -> tuple[str, ...]:
        """Those asked for, else the configured recipients."""
        return tuple(wanted) or self.settings.recipients

    def send(self, email: Email) -> None:
        s = self.settings
        if not s.host:
            raise MailError("SMTP is not configured (set SCIMHUB_SMTP_HOST)")
        if not email.to:
            raise MailError("The email has no recipient (set SCIMHUB_SMTP_TO)")
        try:
            message = _message(email, s.sender)
        except (ValueError, TypeError) as exc:  # e.g. a line break in an address
            raise MailError(f"The email could not be written: {exc}") from None
        try:
            with self._connect() as smtp:
                self._secure_and_log_in(smtp)
                smtp.send_message(message)
        except smtplib.SMTPException as exc:
            raise MailError(f"The SMTP server {s.host}:{s.port} refused: {_said(exc)}") from None
        except (OSError, ssl.SSLError) as exc:
            raise MailError(f"Could not reach the SMTP server {s.host}:{s.port}: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        assert s.host is not None
        if s.security == "tls":
            return smtplib.SMTP_SSL(
                s.host, s.port, local_hostname=_local_name(), timeout=s.timeout, context=self._tls()
            )
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout, local_hostname=_local_name())

    def _secure_and_log_in(self, smtp: smtplib.SMTP) -> None:
        s = self.settings
        if s.security == "starttls":
            smtp.starttls(context=self._tls())
        if s.username:
            smtp.login(s.username, s.password or "")

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)


def _message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(email.text)
    return message


def _said(exc: smtplib.SMTPException) -> str:
    """The server's reply, without anything we sent (the password is never echoed)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error
        text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said or "")
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused: " + ", ".join(exc.recipients)
    return type(exc).__name__


def _local_name() -> str:
    """The EHLO name: the host name (``getfqdn`` may wait on DNS that never answers)."""
    return socket.gethostname()[:255] or "localhost"
