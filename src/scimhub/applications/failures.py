"""What a failed request says, read from the exception and its causes, for an admin.

httpx wraps httpcore, which wraps the OS or ssl error; the reasons are taken from that chain.
Host names that httpx (``httpx.InvalidURL``) or the IDNA codec (a ``UnicodeError``) refuse are
raised outside httpx's ``HTTPError`` hierarchy: :func:`is_url_error` recognizes them.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx
import idna

from .capabilities import printable

__all__ = ["chain", "is_url_error", "network_reason", "tls_reason"]

_NETWORK_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (socket.gaierror, "the host name could not be resolved"),
    (ConnectionResetError, "the connection was reset"),
)


def is_url_error(exc: BaseException) -> bool:
    """True when httpx or the IDNA codec refused the URL's host name (not an ``HTTPError``)."""
    if isinstance(exc, (httpx.InvalidURL, idna.IDNAError)):
        return True
    return isinstance(exc, UnicodeError) and "idna" in str(exc).lower()


def tls_reason(exc: BaseException) -> str | None:
    for cause in chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return str(getattr(cause, "reason", None) or cause).lower().replace("_", " ")
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "certificate verify failed"
    return None


def network_reason(exc: BaseException) -> str:
    for cause in chain(exc):
        for kind, reason in _NETWORK_REASONS:
            if isinstance(cause, kind):
                return reason
    return printable(str(exc)).rstrip(".") or type(exc).__name__


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes (httpx wraps httpcore, which wraps the OS or ssl error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
