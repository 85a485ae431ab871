"""Signed, expiring pagination cursors (RFC 9865 §2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scimhub.scim.cursor import Cursor, decode_cursor, encode_cursor, fingerprint
from scimhub.scim.errors import ExpiredCursor, InvalidCursor

SECRET = b"k" * 32


def _decode(text, **kw):
    args = {"expected": "fp", "now": 1000, "timeout": 60} | kw
    return decode_cursor(text, SECRET, **args)


def test_round_trip_keyset_positions_with_their_sort_values():
    assert _decode(encode_cursor(Cursor("fp", 990, after=42), SECRET)).after == 42
    assert _decode(encode_cursor(Cursor("fp", 990, 7, key="jensen"), SECRET)).key == "jensen"
    when = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert _decode(encode_cursor(Cursor("fp", 990, 7, key=when), SECRET)).key == when


@pytest.mark.parametrize("text", ["", "garbage", "AAAA", "!!!"])
def test_garbage_is_invalid(text):
    with pytest.raises(InvalidCursor):
        _decode(text)


def test_tampered_cursor_is_invalid():
    text = encode_cursor(Cursor("fp", 990, after=42), SECRET)
    flipped = text[:5] + ("A" if text[5] != "A" else "B") + text[6:]
    with pytest.raises(InvalidCursor):
        _decode(flipped)


def test_cursor_signed_with_another_key_is_invalid():
    with pytest.raises(InvalidCursor):
        _decode(encode_cursor(Cursor("fp", 990, after=1), b"other"))


def test_cursor_of_another_query_is_invalid():
    with pytest.raises(InvalidCursor):
        _decode(encode_cursor(Cursor("other", 990, after=1), SECRET))


def test_old_cursor_expires():
    with pytest.raises(ExpiredCursor):
        _decode(encode_cursor(Cursor("fp", 900, after=1), SECRET))


def test_fingerprint_depends_on_every_part():
    assert fingerprint("t", "User", None) != fingerprint("t", "User", "userName pr")
