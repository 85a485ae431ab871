"""Finding users on a SCIM target: ``userName eq`` filters and lenient ListResponse reading.

Filters follow RFC 7644 §3.4.2.2: a string value is a JSON string, so ``\\`` and ``"`` (and
control characters) are escaped by JSON's rules. Many names are looked up with one
``or``-filter per chunk, kept well under the limits targets put on filters (and on the URL
that carries them). ListResponses (RFC 7644 §3.4.2) are read as real targets send them:
``Resources`` may be missing when nothing matched, ``totalResults`` may be missing, and
targets may answer fewer (or more) rows than ``count`` asked for, or rows that do not match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .connector import ListPage, Remote

__all__ = [
    "MAX_FILTER_CHARS",
    "MAX_ID_LENGTH",
    "MAX_NAMES_PER_FILTER",
    "eq_filter",
    "name_chunks",
    "or_filter",
    "page_of",
    "remote_of",
    "username_of",
    "with_username",
]

MAX_NAMES_PER_FILTER = 50
MAX_FILTER_CHARS = 3500


def eq_filter(username: str) -> str:
    """``userName eq "<username>"``, the value escaped as a JSON string."""
    return f"userName eq {json.dumps(username, ensure_ascii=False)}"


def or_filter(usernames: Sequence[str]) -> str:
    return " or ".join(eq_filter(name) for name in usernames)


def name_chunks(usernames: Iterable[str]) -> Iterator[list[str]]:
    """Distinct names (ignoring case, first spelling kept) in chunks of at most
    MAX_NAMES_PER_FILTER whose or-filter stays within MAX_FILTER_CHARS (a longer single
    name makes a chunk of its own)."""
    distinct: dict[str, str] = {}
    for name in usernames:
        distinct.setdefault(name.casefold(), name)
    chunk: list[str] = []
    size = 0
    for name in distinct.values():
        cost = len(eq_filter(name)) + len(" or ")
        if chunk and (len(chunk) == MAX_NAMES_PER_FILTER or size + cost > MAX_FILTER_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(name)
        size += cost
    if chunk:
        yield chunk


#: Longer ids, or ids with control characters, are not ids the hub can store or show.
MAX_ID_LENGTH = 512


def remote_of(doc: object) -> Remote | None:
    """A resource with a usable ``id`` (a string, or a number some targets use), or None."""
    if not isinstance(doc, dict):
        return None
    rid = doc.get("id")
    if isinstance(rid, int) and not isinstance(rid, bool):
        rid = str(rid)
    usable = isinstance(rid, str) and 0 < len(rid) <= MAX_ID_LENGTH and rid.isprintable()
    return Remote(rid, doc) if usable else None  # type: ignore[arg-type]


def username_of(remote: Remote) -> str | None:
    """The ``userName`` of a remote user, whatever the case of the attribute's name."""
    value = _folded(remote.resource).get("username")
    return value if isinstance(value, str) else None


def with_username(remotes: Iterable[Remote], username: str) -> Remote | None:
    """The first of ``remotes`` whose userName equals ``username`` ignoring case."""
    wanted = username.casefold()
    return next((r for r in remotes if (username_of(r) or "").casefold() == wanted), None)


def page_of(doc: object, start_index: int) -> ListPage | None:
    """A ListResponse read leniently, or None when ``doc`` is no JSON object.

    ``items_per_page`` is the number of rows the page holds (what the target sent, not what
    it claims), so a walk advances by it; ``start_index`` is the requested one if unsaid.
    """
    if not isinstance(doc, dict):
        return None
    members = _folded(doc)
    rows = members.get("resources")
    rows = rows if isinstance(rows, list) else []
    found = tuple(r for r in map(remote_of, rows) if r is not None)
    return ListPage(
        found, _count(members.get("totalresults")), _start(members, start_index), len(rows)
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _start(members: dict[str, Any], requested: int) -> int:
    value = _count(members.get("startindex"))
    return value if value else requested


def _folded(doc: dict[str, Any]) -> dict[str, Any]:
    """Members by case-folded name (RFC 7643 §2.1), the first spelling winning."""
    folded: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(key, str):
            folded.setdefault(key.casefold(), value)
    return folded
