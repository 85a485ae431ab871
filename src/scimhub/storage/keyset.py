"""Keyset pagination for the hub's lists: pages, and opaque cursors holding the last row's
sort key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from scimhub.problems import Invalid

__all__ = ["MAX_PAGE", "Page", "decode_after", "encode_after", "page_limit", "paged"]

#: The largest page a list returns; bigger requests get this many.
MAX_PAGE = 500

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a keyset walk; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


def page_limit(limit: int) -> int:
    """``limit`` capped at ``MAX_PAGE``; below 1 is Invalid."""
    if limit < 1:
        raise Invalid(f"The limit must be at least 1 (got {limit})")
    return min(limit, MAX_PAGE)


def paged(rows: Sequence[Any], limit: int, convert: Callable[[Any], T], *keys: str) -> Page[T]:
    """A page of ``limit`` rows out of ``limit + 1`` fetched; the cursor holds the last
    kept row's ``keys`` columns."""
    kept = rows[:limit]
    more = len(rows) > limit
    cursor = encode_after(*(getattr(kept[-1], k) for k in keys)) if more else None
    return Page([convert(r) for r in kept], cursor)


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
