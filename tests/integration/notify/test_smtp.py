"""Sending over a real SMTP server (aiosmtpd) in this process: STARTTLS with a private CA and
credentials, implicit TLS, a plain relay, and clear errors that never hold the password."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import free_port
from integration.tls_support import self_signed_certificate
from scimhub.notify import Email, MailError, SmtpMailer, SmtpSettings

USER, PASSWORD = "scimhub", "s3cret-smtp-password"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: the client trusts it as its private CA."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), "scimhub test SMTP")


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def starttls(certificate: tuple[Path, Path]) -> Iterator[tuple[int, Inbox]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def implicit_tls(certificate: tuple[Path, Path]) -> Iterator[tuple[int, Inbox]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=_server_tls(certificate)
    )
    controller.start()
    yield port, inbox
    controller.stop()


def _mail(**settings: Any) -> SmtpMailer:
    return SmtpMailer(SmtpSettings(host="127.0.0.1", sender="hub@example.com", **settings))


EMAIL = Email(("ada@example.com", "it@example.com"), "Import done", "Created: 3\n")


def test_starttls_with_a_private_ca_and_credentials_delivers_the_email(
    starttls: tuple[int, Inbox], certificate: tuple[Path, Path]
) -> None:
    port, inbox = starttls
    mailer = _mail(port=port, username=USER, password=PASSWORD, ca_file=str(certificate[0]))
    mailer.send(EMAIL)
    (recipients, message), *_ = inbox.messages
    assert recipients == ["ada@example.com", "it@example.com"]
    assert (message["From"], message["Subject"]) == ("hub@example.com", "Import done")
    assert message.get_content().replace("\r\n", "\n") == "Created: 3\n"


def test_a_wrong_password_is_a_clear_error_without_the_password(
    starttls: tuple[int, Inbox], certificate: tuple[Path, Path]
) -> None:
    port, inbox = starttls
    mailer = _mail(
        port=port, username=USER, password="wrong-" + PASSWORD, ca_file=str(certificate[0])
    )
    with pytest.raises(MailError, match="refused: 535") as caught:
        mailer.send(EMAIL)
    assert PASSWORD not in str(caught.value) and not inbox.messages


def test_an_untrusted_certificate_is_refused(starttls: tuple[int, Inbox]) -> None:
    port, inbox = starttls
    with pytest.raises(MailError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        _mail(port=port, username=USER, password=PASSWORD).send(EMAIL)
    assert not inbox.messages


def test_implicit_tls_delivers_the_email(
    implicit_tls: tuple[int, Inbox], certificate: tuple[Path, Path]
) -> None:
    port, inbox = implicit_tls
    _mail(port=port, security="tls", ca_file=str(certificate[0])).send(EMAIL)
    assert [r for r, _ in inbox.messages] == [["ada@example.com", "it@example.com"]]


def test_an_unreachable_server_and_missing_settings_are_clear_errors() -> None:
    with pytest.raises(MailError, match=r"Could not reach the SMTP server 127\.0\.0\.1"):
        _mail(port=free_port(), security="none", timeout=2).send(EMAIL)
    with pytest.raises(MailError, match="not configured"):
        SmtpMailer(SmtpSettings(host=None)).send(EMAIL)
    with pytest.raises(MailError, match="no recipient"):
        _mail(port=25).send(Email((), "s", "t"))
