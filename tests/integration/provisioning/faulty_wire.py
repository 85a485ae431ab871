"""HTTP/1.1 messages for `FaultyProxy` (RFC 9112): read a request, read a whole upstream
response and re-frame it, write a SCIM error answer.

Just enough of the protocol for a test proxy on loopback: ``Content-Length`` and chunked
request bodies (RFC 9112 §6, §7.1), persistent client connections (§9.3), and upstream
connections used once (``Connection: close``, the response read to EOF). Hop-by-hop fields
(RFC 9110 §7.6.1) are never forwarded as they were.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = ["Headers", "Request", "error_response", "read_request", "read_response"]

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
#: Headers about one connection, not the message (RFC 9110 §7.6.1): never forwarded as is.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding"})
_FRAMING = HOP_BY_HOP | {"content-length"}
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the client sent it (a chunked body is already de-chunked)."""

    method: str
    target: str
    headers: Headers
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 connections persist unless the client says ``close`` (RFC 9112 §9.3)."""
        return "close" not in (_header(self.headers, "connection") or "").lower()

    def upstream_bytes(self) -> bytes:
        """The same request for a one-shot upstream connection (``Connection: close``)."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in _FRAMING]
        if self.body or _framed(self.headers):
            headers.append(("Content-Length", str(len(self.body))))
        headers.append(("Connection", "close"))
        return _message(f"{self.method} {self.target} HTTP/1.1", headers, self.body)


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection, or None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise
        return None
    start, headers = _parse_head(head)
    method, target, _version = start.split(" ")
    if "chunked" in (_header(headers, "transfer-encoding") or "").lower():
        return Request(method, target, headers, await _read_chunked(reader))
    length = int(_header(headers, "content-length") or 0)
    return Request(method, target, headers, await reader.readexactly(length))


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, int]:
    """A whole upstream response (read to EOF), re-framed to keep the client's connection."""
    head, sep, body = (await reader.read()).partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("the provider closed the connection mid-response")
    start, headers = _parse_head(head)
    status = int(start.split(" ")[1])
    kept = [(k, v) for k, v in headers if k.lower() not in {"connection", "keep-alive"}]
    if not _framed(headers) and status not in {204, 304}:
        kept.append(("Content-Length", str(len(body))))
    return _message(start, kept, body), status


def error_response(
    code: int,
    detail: str | None = None,
    retry_after: float | str | None = None,
    body: dict[str, Any] | None = None,
) -> bytes:
    """A SCIM error response (RFC 7644 §3.12), ``Retry-After`` in seconds or as an HTTP-date."""
    if body is None:
        detail = detail or f"Injected fault: {code} {_reason(code)}"
        body = {"schemas": [ERROR_URN], "status": str(code), "detail": detail}
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/scim+json"), ("Content-Length", str(len(payload)))]
    if retry_after is not None:
        headers.append(("Retry-After", _delay(retry_after)))
    return _message(f"HTTP/1.1 {code} {_reason(code)}", headers, payload)


def _parse_head(head: bytes) -> tuple[str, Headers]:
    start, *lines = head.decode("latin-1").split("\r\n")
    fields = [line.partition(":") for line in lines if line]
    if any(not sep for _, sep, _ in fields):
        raise ValueError("a header line without a colon")
    return start, tuple((name.strip(), value.strip()) for name, _, value in fields)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields
        pass
    return b"".join(chunks)


def _header(headers: Headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _framed(headers: Headers) -> bool:
    """Whether the message says where its body ends (RFC 9112 §6.3)."""
    return any(k.lower() in {"content-length", "transfer-encoding"} for k, _ in headers)


def _message(start: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [start, *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _reason(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Fault"


def _delay(retry_after: float | str) -> str:
    """Whole seconds as RFC 9110 §10.2.3 has them; fractions are a test-speed liberty."""
    if isinstance(retry_after, str):
        return retry_after
    return str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
