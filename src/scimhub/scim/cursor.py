"""Opaque, signed pagination cursors (RFC 9865 §2).

A cursor carries the position (keyset ``after`` or ``offset``), a fingerprint of
the query it belongs to, and its issue time. It is HMAC-signed so a client
cannot forge a position, and it expires after ``cursorTimeout`` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import orjson

from .errors import ExpiredCursor, InvalidCursor


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded cursor: resume after sequence ``after`` or at ``offset``."""

    fingerprint: str
    issued: int
    after: int | None = None
    offset: int | None = None


def fingerprint(*parts: object) -> str:
    """A short digest of the query a cursor belongs to."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode_cursor(cursor: Cursor, secret: bytes) -> str:
    payload = orjson.dumps(
        {"f": cursor.fingerprint, "t": cursor.issued, "a": cursor.after, "o": cursor.offset}
    )
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def decode_cursor(text: str, secret: bytes, *, expected: str, now: int, timeout: int) -> Cursor:
    """Verify and decode ``text``; raise invalidCursor or expiredCursor (RFC 9865 §2.3)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise InvalidCursor("The cursor is not valid") from None
    payload, mac = raw[:-16], raw[-16:]
    good = hmac.new(secret, payload, hashlib.sha256).digest()[:16]
    if len(raw) <= 16 or not hmac.compare_digest(mac, good):
        raise InvalidCursor("The cursor is not valid")
    data = orjson.loads(payload)
    if data["f"] != expected:
        raise InvalidCursor("The cursor belongs to a different query")
    if now - int(data["t"]) > timeout:
        raise ExpiredCursor("The cursor has expired; start again from the first page")
    return Cursor(data["f"], int(data["t"]), data["a"], data["o"])
