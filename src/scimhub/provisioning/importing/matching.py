"""New or Imported: an application's users matched with the directory, one page at a time.

A user is **Imported** when a directory user has its userName, or else its email,
ignoring case; **New** otherwise. Two queries per page (usernames, then emails, by the
indexed ``*_ci`` columns) and one for the links, whatever the directory's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from scimhub.directory.queries import chunks
from scimhub.storage.hub_tables import directory_users as users
from scimhub.storage.provisioning_tables import provisioning_links as links
from scimhub.storage.transactions import custom_plans

from .records import RemoteUser

__all__ = ["IMPORTED", "NEW", "Candidate", "classify"]

NEW = "new"
IMPORTED = "imported"


@dataclass(frozen=True, slots=True)
class Candidate:
    remote: RemoteUser
    status: str  #: new or imported
    match: str | None = None  #: userName or email: how the directory user was found
    directory_username: str | None = None
    directory_user_id: str | None = None
    #: The remote id the directory user is linked to in this application, if any.
    linked_remote_id: str | None = None

    @property
    def in_all_new(self) -> bool:
        """Part of an "all New users" import: New, or matched but in conflict (so that the
        conflict is reported for this user)."""
        return self.status == NEW or self.conflict is not None

    @property
    def conflict(self) -> str | None:
        """Why this record cannot become (or stay) the directory user it matches."""
        if self.match == "email":
            return (
                f"The email '{self.remote.email}' is already used by directory user "
                f"'{self.directory_username}', whose username differs"
            )
        other = self.linked_remote_id
        if other is not None and other != self.remote.remote_id:
            return (
                f"Duplicate in the application: account '{other}' has the same userName and "
                f"is already linked to directory user '{self.directory_username}'"
            )
        return None


def classify(conn: Connection, app_id: str, remotes: Sequence[RemoteUser]) -> list[Candidate]:
    """Each remote user New or Imported. The transaction's later bulk statements (the
    page's inserts, marks, items) are planned for their own values (``custom_plans``)."""
    custom_plans(conn)
    by_name = _users(conn, users.c.username_ci, [r.username.lower() for r in remotes if r.username])
    by_email = _users(conn, users.c.email_ci, [r.email.lower() for r in remotes if r.email])
    matched = [*by_name.values(), *by_email.values()]
    linked = _linked(conn, app_id, [row.id for row in matched])
    return [_candidate(r, by_name, by_email, linked) for r in remotes]


def _candidate(
    remote: RemoteUser,
    by_name: dict[str, Any],
    by_email: dict[str, Any],
    linked: dict[str, str],
) -> Candidate:
    row, match = by_name.get(remote.username.lower()), "userName"
    if row is None:
        row, match = by_email.get(remote.email.lower()), "email"
    if row is None:
        return Candidate(remote, NEW)
    return Candidate(remote, IMPORTED, match, row.username, row.id, linked.get(row.id))


def _users(conn: Connection, column: Any, values: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    wanted = sorted(set(values))
    for chunk in chunks(wanted):
        query = select(users.c.id, users.c.username, column.label("key")).where(column.in_(chunk))
        found |= {row.key: row for row in conn.execute(query)}
    return found


def _linked(conn: Connection, app_id: str, user_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in chunks(sorted(set(user_ids))):
        query = select(links.c.user_id, links.c.remote_id).where(
            links.c.app_id == app_id, links.c.user_id.in_(chunk), links.c.remote_id.is_not(None)
        )
        found |= {row.user_id: row.remote_id for row in conn.execute(query)}
    return found
