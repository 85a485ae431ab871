"""Base URLs of applications: one canonical form, https unless the host is loopback.

A SCIM base URL (RFC 7644 §1.3) is where ``/Users`` and ``/ServiceProviderConfig`` hang, so it
carries no query, no fragment and no credentials (the token travels in the Authorization
header), and its trailing slashes are dropped so that ``f"{base}/Users"`` is always right.

The host is checked here, not when the first request fails: labels of 1 to 63 characters, at
most 253 in all (RFC 1035 §2.3.4, counted in the ASCII form), letters, digits and hyphens (and
underscores, which internal DNS names use), no hyphen at either end; ``xn--`` labels must be
valid punycode and internationalized names valid IDNA 2008 (RFC 5891, with the UTS #46
mapping), checked with the ``idna`` package that httpx itself encodes them with. A host ending
in a number must be a dotted IPv4 address, as browsers require (WHATWG URL).

The host is kept as typed: a Unicode name stays Unicode, in its UTS #46 mapped U-label form
(case and width folded: ``EXÄMPLE.com`` in full-width letters becomes ``exämple.com``), and a
punycode name stays punycode; both reach the same server, as httpx sends the ASCII form.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

import idna

from scimhub.problems import Invalid

__all__ = [
    "MAX_HOST_LENGTH",
    "MAX_LABEL_LENGTH",
    "MAX_URL_LENGTH",
    "is_loopback",
    "normalize_base_url",
]

MAX_URL_LENGTH = 2048
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LABEL_CHARACTERS = re.compile(r"[a-z0-9_-]")
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")


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
    return _host_name(host)


def _host_name(host: str) -> str:
    """``host`` checked label by label, in its canonical form (see the module's docstring)."""
    root = "." if host.endswith(".") else ""  # a fully qualified name, kept
    name = host.removesuffix(".")
    if not name.isascii():
        try:  # case and width folded, NFC; the ideographic full stop becomes a dot
            name = idna.uts46_remap(name, std3_rules=False, transitional=False)
        except idna.IDNAError as exc:
            raise Invalid(f"The base URL's host name {host!r} is not valid: {exc}") from exc
    labels = name.split(".")
    if _NUMBER.fullmatch(labels[-1]):
        return _ipv4(name)
    ascii_length = sum(len(_label(label, host)) for label in labels) + len(labels) - 1
    if ascii_length > MAX_HOST_LENGTH:
        raise Invalid(
            f"The base URL's host name is {ascii_length} characters long "
            f"(at most {MAX_HOST_LENGTH})"
        )
    if not name.isascii():
        _encodable(name, host)
    return name + root


def _label(label: str, host: str) -> str:
    """The ASCII form of one label of ``host``, or :class:`Invalid` saying what is wrong."""
    if not label:
        raise Invalid(
            f"The base URL's host name {host!r} has an empty label "
            "(two dots in a row, or a dot at either end)"
        )
    ascii_label = label if label.isascii() else _alabel(label, host)
    if len(ascii_label) > MAX_LABEL_LENGTH:
        raise Invalid(
            f"The base URL's host name has a label of {len(ascii_label)} characters "
            f"(at most {MAX_LABEL_LENGTH} between dots)"
        )
    if not label.isascii():
        return ascii_label
    if bad := [ch for ch in label if not _LABEL_CHARACTERS.fullmatch(ch)]:
        raise Invalid(
            f"The base URL's host name must not contain {bad[0]!r}: "
            "a label has only letters, digits, hyphens and underscores"
        )
    if label.startswith("-") or label.endswith("-"):
        raise Invalid(
            f"The base URL's host name has a label starting or ending with '-': {label!r}"
        )
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except idna.IDNAError as exc:
            raise Invalid(
                f"The base URL's host name has an invalid punycode label {label!r}: {exc}"
            ) from exc
    return label


def _alabel(label: str, host: str) -> str:
    try:
        return idna.alabel(label).decode("ascii")
    except idna.IDNAError as exc:
        raise Invalid(
            f"The base URL's host name {host!r} is not a valid internationalized name: {exc}"
        ) from exc


def _encodable(name: str, host: str) -> None:
    """httpx encodes a non-ASCII host whole with IDNA 2008: its ASCII labels must pass too."""
    try:
        idna.encode(name)
    except idna.IDNAError as exc:
        raise Invalid(
            f"The base URL's host name {host!r} is not a valid internationalized name: {exc}"
        ) from exc


def _ipv4(name: str) -> str:
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError as exc:
        raise Invalid(
            f"The base URL's host {name!r} ends in a number but is not an IPv4 address "
            "(four numbers from 0 to 255, such as 192.0.2.10)"
        ) from exc


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise Invalid("The base URL has an invalid port (expected 1 to 65535)")
    return port
