"""Base URLs of applications: one canonical form, https unless the host is loopback.

A SCIM base URL (RFC 7644 §1.3) is where ``/Users`` and ``/ServiceProviderConfig`` hang, so it
carries no query, no fragment and no credentials (the token travels in the Authorization
header), and its trailing slashes are dropped so that ``f"{base}/Users"`` is always right.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from scimhub.problems import Invalid

__all__ = ["MAX_URL_LENGTH", "is_loopback", "normalize_base_url"]

MAX_URL_LENGTH = 2048


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1`` (brackets and a trailing dot allowed)."""
    name = host.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalize_base_url(url: str) -> str:
    """The canonical form of an application's base URL, or :class:`Invalid` saying what is wrong.

    Scheme and host are lower-cased, an explicit port is kept, trailing slashes are removed.
    """
    text = url.strip()
    _check_text(text)
    parts = _split(text)
    host = _host(parts)
    if parts.scheme == "http" and not is_loopback(host):
        raise Invalid("The base URL must use https (plain http is allowed only on loopback)")
    netloc = f"[{host}]" if ":" in host else host
    port = _port(parts)
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _check_text(text: str) -> None:
    if not text:
        raise Invalid("The base URL is required")
    if len(text) > MAX_URL_LENGTH:
        raise Invalid(f"The base URL is longer than {MAX_URL_LENGTH} characters")
    if any(not ch.isprintable() or ch.isspace() for ch in text):
        raise Invalid("The base URL must not contain spaces or control characters")


def _split(text: str) -> SplitResult:
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise Invalid(f"The base URL is not a valid URL: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid("The base URL must start with https://")
    if "@" in parts.netloc:
        raise Invalid("The base URL must not contain a user name or password")
    if "?" in text:
        raise Invalid("The base URL must not contain a query string (?…)")
    if "#" in text:
        raise Invalid("The base URL must not contain a fragment (#…)")
    return parts._replace(scheme=parts.scheme.lower())


def _host(parts: SplitResult) -> str:
    host = parts.hostname  # lower-cased by urllib, brackets removed
    if not host:
        raise Invalid("The base URL has no host name")
    if ":" in host or parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise Invalid(f"The base URL has an invalid IPv6 address: {host}") from exc
    return host


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise Invalid("The base URL has an invalid port (expected 1 to 65535)")
    return port
