"""Opaque keyset-pagination cursors for the hub's lists: the last row's sort key."""

from __future__ import annotations

import base64
import binascii

import orjson

from scimhub.problems import Invalid

__all__ = ["decode_after", "encode_after"]


def encode_after(*key: str) -> str:
    """A URL-safe cursor naming the position after the row whose sort key is ``key``."""
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_after(cursor: str, size: int) -> tuple[str, ...]:
    """The sort key in ``cursor``; a cursor that was not made by ``encode_after`` is Invalid."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise Invalid("The 'after' cursor is not valid; start from the first page") from None
    if not (isinstance(key, list) and len(key) == size and all(isinstance(k, str) for k in key)):
        raise Invalid("The 'after' cursor is not valid; start from the first page")
    return tuple(key)
