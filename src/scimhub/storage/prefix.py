"""Case-insensitive prefix search as an index range scan.

``LIKE 'abc%'`` uses no index on SQLite (its LIKE is case-insensitive) nor on PostgreSQL
outside the C collation, so a prefix search on a large table becomes a scan. On a
lower-cased ``Folded`` column (binary order on both databases), "starts with ``p``" is
the range ``p <= value < p + U+10FFFF``, which a B-tree index answers directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

__all__ = ["starts_with"]

_TOP = "\U0010ffff"


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` (a lower-cased, binary-ordered column) starts with ``prefix.lower()``."""
    folded = prefix.lower()
    return and_(column >= folded, column < folded + _TOP)
