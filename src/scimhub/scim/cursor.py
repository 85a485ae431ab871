"""Opaque, signed pagination cursors (RFC 9865 §2).

A cursor is a keyset position — the sequence number of the last resource returned and,
when the query is sorted, its sort value — plus a fingerprint of the query it belongs to
and its issue time. Keyset positions never skip or repeat resources when others are
created or deleted during a walk. The cursor is HMAC-signed so a client cannot forge a
position, and it expires after ``cursorTimeout`` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from .errors import ExpiredCursor, InvalidCursor

_MAC = 16


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded cursor: resume after sequence ``after`` (whose sort value was ``key``)."""

    fingerprint: str
    issued: int
    after: int
    key: Any = None


def fingerprint(*parts: object) -> str:
    """A short digest of the query a cursor belongs to."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode_cursor(cursor: Cursor, secret: bytes) -> str:
    is_time = isinstance(cursor.key, datetime)
    key = cursor.key.isoformat() if is_time else cursor.key
    payload = orjson.dumps(
        {"f": cursor.fingerprint, "t": cursor.issued, "a": cursor.after, "k": key, "d": is_time}
    )
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:_MAC]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def decode_cursor(text: str, secret: bytes, *, expected: str, now: int, timeout: int) -> Cursor:
    """Verify and decode ``text``; raise invalidCursor or expiredCursor (RFC 9865 §2.3)."""
    data = _verified(text, secret)
    if data.get("f") != expected:
        raise InvalidCursor("The cursor belongs to a different query")
    if now - int(data["t"]) > timeout:
        raise ExpiredCursor("The cursor has expired; start again from the first page")
    key = datetime.fromisoformat(data["k"]) if data.get("d") else data.get("k")
    return Cursor(data["f"], int(data["t"]), int(data["a"]), key)


def _verified(text: str, secret: bytes) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise InvalidCursor("The cursor is not valid") from None
    payload, mac = raw[:-_MAC], raw[-_MAC:]
    good = hmac.new(secret, payload, hashlib.sha256).digest()[:_MAC]
    if len(raw) <= _MAC or not hmac.compare_digest(mac, good):
        raise InvalidCursor("The cursor is not valid")
    data = orjson.loads(payload)
    if not isinstance(data, dict):
        raise InvalidCursor("The cursor is not valid")
    return data
