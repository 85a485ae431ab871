"""Directory user search: a case-insensitive prefix of username, email, first or last name.

Results are ordered by username (so pages have a stable cursor) and the cost follows the
page, not the directory:
- first, a bounded window of the next ``WINDOW`` usernames is filtered: when matches are
  dense (a short prefix, a common name) the page fills from it at once;
- otherwise the rest comes from one index range scan per searchable field (a union of ids),
  past the window, so its cost follows the number of matches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, or_, select, union

from scimhub.storage.hub_tables import directory_users as users
from scimhub.storage.prefix import starts_with

__all__ = ["WINDOW", "search_rows"]

WINDOW = 2000
_FIELDS = (users.c.username_ci, users.c.email_ci, users.c.firstname_ci, users.c.lastname_ci)


def search_rows(
    conn: Connection, prefix: str, extra: list[ColumnElement[bool]], after: str | None, n: int
) -> list[Row[Any]]:
    """Up to ``n`` users matching ``prefix`` and ``extra``, after username ``after``."""
    edge = _window_edge(conn, after)
    dense = _matches(conn, prefix, [*extra, *_between(after, edge)], n)
    if len(dense) >= n or edge is None:
        return dense
    return dense + _sparse(conn, prefix, [*extra, users.c.username_ci > edge], n - len(dense))


def _window_edge(conn: Connection, after: str | None) -> str | None:
    """The last username of the window after ``after``; None if fewer users remain."""
    query = select(users.c.username_ci).order_by(users.c.username_ci).offset(WINDOW - 1).limit(1)
    if after is not None:
        query = query.where(users.c.username_ci > after)
    return conn.execute(query).scalar()


def _between(after: str | None, edge: str | None) -> list[ColumnElement[bool]]:
    bounds = [] if after is None else [users.c.username_ci > after]
    return bounds if edge is None else [*bounds, users.c.username_ci <= edge]


def _matches(
    conn: Connection, prefix: str, where: list[ColumnElement[bool]], n: int
) -> list[Row[Any]]:
    """Matches inside the window: a username-index range, filtered on the folded fields."""
    anywhere = or_(*(starts_with(field, prefix) for field in _FIELDS))
    query = select(users).where(anywhere, *where).order_by(users.c.username_ci).limit(n)
    return list(conn.execute(query).all())


def _sparse(
    conn: Connection, prefix: str, where: list[ColumnElement[bool]], n: int
) -> list[Row[Any]]:
    """Matches past the window: one index range scan per field, united by id."""
    ids = union(*(select(users.c.id).where(starts_with(f, prefix)) for f in _FIELDS))
    query = select(users).where(users.c.id.in_(ids.scalar_subquery()), *where)
    return list(conn.execute(query.order_by(users.c.username_ci).limit(n)).all())
